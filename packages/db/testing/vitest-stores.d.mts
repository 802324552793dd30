export function storeProjects(): Array<{ extends: true; test: { name: string; globalSetup?: string[]; setupFiles?: string[] } }>;
