export function startCommand(root: string): { env: Record<string, string>; flags: string[] };
