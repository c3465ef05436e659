/**
 * Test-only crash points for the crash-safety test: with NODE_ENV=test and
 * GROUPGATE_TEST_CRASH_AT=<point>[#<n>], the process kills itself with SIGKILL the n-th time it
 * reaches that named point. Anywhere else this is a no-op.
 */
export function crashPointFromEnv(env: NodeJS.ProcessEnv = process.env): (name: string) => void {
  const spec = env.NODE_ENV === 'test' ? env.GROUPGATE_TEST_CRASH_AT : undefined;
  if (!spec) return () => {};
  const [point, nth] = spec.split('#');
  const target = Number(nth ?? 1);
  let hits = 0;
  return (name) => {
    if (name === point && ++hits === target) process.kill(process.pid, 'SIGKILL');
  };
}
