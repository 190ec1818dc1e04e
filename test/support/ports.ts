import { createServer } from 'node:net';

/**
 * A port that is free now and below Linux's ephemeral range (32768–60999). Tests that need a port
 * with nothing listening (a receiver or a database that is "down") or a fixed port for a child
 * (redis-server) use it: a port from listen(0) could be handed to another test file's server or
 * outgoing connection between our probe and its use, since test files run in parallel.
 */
export async function quietPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const probe = createServer();
    const free = await new Promise<boolean>((r) => {
      probe.once('error', () => r(false));
      probe.listen(port, '127.0.0.1', () => r(true));
    });
    if (!free) continue;
    await new Promise<void>((r) => probe.close(() => r()));
    return port;
  }
}
