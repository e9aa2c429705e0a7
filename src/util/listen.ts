import type { AddressInfo, Server } from "node:net";
import { joinHostPort, splitHostPort } from "../config/common.ts";

/** Listens on a validated host:port; resolves with the address it got (port 0 resolved), as host:port. */
export function listenOn(server: Server, bind: string): Promise<string> {
  const { host, port } = splitHostPort(bind);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve(joinHostPort(a.address, a.port));
    });
  });
}
