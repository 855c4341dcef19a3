// `npm ci` / `npm install` runs this (npm's `prepare`): builds dist/ so `npx ci-relay ...` works at once.
// Where dev dependencies are left out (--omit=dev) there is no TypeScript: the build is skipped, not failed.
const { spawnSync } = require('node:child_process');

try {
  require.resolve('typescript');
} catch {
  process.stdout.write('ci-relay: TypeScript is not installed (--omit=dev?); not building dist/\n');
  process.exit(0);
}
const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    stdio: 'inherit',
  },
);
process.exit(tsc.status ?? 1);
