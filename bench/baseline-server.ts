/**
 * The benchmark's baseline: a bare Express app that reads the raw body the way the relay does and answers
 * 202 `{ accepted: true }`, with no verification, parsing or Redis. `PORT` and `HOST` from the environment.
 */
import express from 'express';

const app = express();
// The same app settings as the relay's, so the ratio measures the relay's own work.
app.disable('x-powered-by');
app.set('etag', false);
app.post('/hooks/:id', express.raw({ type: () => true, limit: '1mb' }), (_req, res) => {
  res.status(202).json({ accepted: true });
});

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const server = app.listen(port, host, () => {
  const address = server.address();
  console.log(`baseline listening on ${typeof address === 'object' && address ? address.port : port}`);
});
server.keepAliveTimeout = 65_000;
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
