import { createWebhookInput, rotateWebhookSecretInput, updateWebhookInput, webhookDeliveriesQuery, webhookDeliveryIdInput, webhookIdInput } from '@pc/contract';
import type { Core } from '@pc/core';
import { sessionOf } from '../../http/auth.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

type WebhookOperation =
  | 'listWebhooks'
  | 'createWebhook'
  | 'getWebhook'
  | 'updateWebhook'
  | 'deleteWebhook'
  | 'rotateWebhookSecret'
  | 'testWebhook'
  | 'listWebhookDeliveries'
  | 'redeliverWebhookDelivery';

export const webhookHandlers = (core: Core): Handlers<WebhookOperation> => ({
  listWebhooks: async (_req, res) => {
    res.json(await core.webhooks.list(sessionOf(res).workspaceId));
  },
  createWebhook: async (req, res) => {
    res.status(201).json(await core.webhooks.create(sessionOf(res), parse(createWebhookInput, req.body), requestMeta(req)));
  },
  getWebhook: async (req, res) => {
    res.json(await core.webhooks.get(sessionOf(res).workspaceId, parse(webhookIdInput, req.params).id));
  },
  updateWebhook: async (req, res) => {
    const { id } = parse(webhookIdInput, req.params);
    res.json(await core.webhooks.update(sessionOf(res), id, parse(updateWebhookInput, req.body), requestMeta(req)));
  },
  deleteWebhook: async (req, res) => {
    await core.webhooks.remove(sessionOf(res), parse(webhookIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  },
  rotateWebhookSecret: async (req, res) => {
    const { overlapSeconds } = parse(rotateWebhookSecretInput, req.body ?? {});
    res.json(await core.webhooks.rotateSecret(sessionOf(res), parse(webhookIdInput, req.params).id, overlapSeconds, requestMeta(req)));
  },
  testWebhook: async (req, res) => {
    res.status(202).json(await core.webhooks.test(sessionOf(res), parse(webhookIdInput, req.params).id));
  },
  listWebhookDeliveries: async (req, res) => {
    const { id } = parse(webhookIdInput, req.params);
    res.json(await core.webhooks.deliveries(sessionOf(res).workspaceId, id, parse(webhookDeliveriesQuery, req.query)));
  },
  redeliverWebhookDelivery: async (req, res) => {
    const { id, deliveryId } = parse(webhookDeliveryIdInput, req.params);
    res.status(202).json(await core.webhooks.redeliver(sessionOf(res), id, deliveryId));
  },
});
