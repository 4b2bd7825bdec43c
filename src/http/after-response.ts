// Work that must not shape an answer, not even its timing: run once the answer has been handed
// to the socket (or the client went away).
import type { FastifyReply } from 'fastify';

export function afterResponse(reply: FastifyReply, work: () => Promise<void>, onError: (err: unknown) => void): void {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    setImmediate(() => work().catch(onError));
  };
  reply.raw.once('finish', start);
  reply.raw.once('close', start);
}
