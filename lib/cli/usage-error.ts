/** A bad command line: the CLI reports it as one line, with exit code 2. */
export class UsageError extends Error {}
