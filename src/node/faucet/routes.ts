import type { FastifyInstance } from "fastify";
import type { Faucet } from "./faucet.ts";

/** Hornet's faucet plugin API; the policy makes these routes public while the faucet runs. */
export const FAUCET_ROUTES = "/api/plugins/faucet/*";

export function registerFaucetRoutes(app: FastifyInstance, faucet: Faucet): void {
  app.get("/api/plugins/faucet/info", async () => ({ data: faucet.info() }));
  app.post("/api/plugins/faucet/enqueue", async (req, reply) => {
    const body = req.body as { address?: unknown } | undefined;
    return reply.code(202).send({ data: faucet.enqueue(body?.address) });
  });
}
