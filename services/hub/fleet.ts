export async function startDemoFleet(..._a: unknown[]): Promise<{ stop(): Promise<void> }> { return { stop: async () => undefined }; }
