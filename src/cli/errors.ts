/** A command-line failure whose message is shown as is, on one line, with exit code 1. */
export class CliError extends Error {}
