// A TCP port nobody listens on now, for a rendezvous store (launch, tests, the benchmark): the OS
// picks it, and the port is released at once for the store to take.
import { createServer, type AddressInfo } from 'node:net';

/** A free port on `host`; rejects with the listen error when `host` is not this machine's. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
