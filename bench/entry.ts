/**
 * The two roles of a benchmark script: with `--stack-child` it runs the local stack for its parent
 * (so the stack's event loop does not share a process with the load generator); otherwise it runs the
 * benchmark itself. A failure ends the process non-zero either way.
 *
 * @example runBenchmarkOrStack({ isStackChild: process.argv.includes('--stack-child'), runStack, runBenchmark });
 */
export function runBenchmarkOrStack(roles: {
  isStackChild: boolean;
  runStack: () => Promise<void>;
  runBenchmark: () => Promise<void>;
}): void {
  const run = roles.isStackChild ? roles.runStack : roles.runBenchmark;
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
