export interface PostgresCluster {
  port: number;
  dir: string;
  url(db?: string): string;
  log(): string;
  stopServer(): void;
  startServer(): void;
  restart(): void;
  stop(): Promise<void>;
}
export function findPostgresBin(): string | null;
export const postgresInstallHint: string;
export function startPostgresCluster(opts?: { settings?: Record<string, string | number> }): Promise<PostgresCluster>;
