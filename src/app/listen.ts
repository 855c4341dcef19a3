import type { Server } from 'node:http';

/** The relay could not start for a reason the operator can fix; the message says how. */
export class RelayStartError extends Error {
  override name = 'RelayStartError';
}

/** Listens on `port` and `host`; a taken or forbidden port becomes a RelayStartError that says what to set. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new RelayStartError(`[relay] port ${port} is in use; set PORT`));
      else if (err.code === 'EACCES')
        reject(new RelayStartError(`[relay] no permission to listen on port ${port}; set PORT (above 1023)`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
        reject(new RelayStartError(`[relay] cannot listen on host ${host}; set HOST`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
