/**
 * What a command line asks for, read before commander parses it: which
 * modules to load (main.ts) and where from (start.ts).
 */

/** The subcommand named: the program takes no option with a value, so its first word. */
export function subcommandOf(argv: readonly string[]): string | undefined {
  return argv.find((arg) => !arg.startsWith('-'));
}

/** `mooring --version`: no subcommand, only the version to print. */
export function asksVersionOnly(argv: readonly string[]): boolean {
  return subcommandOf(argv) === undefined && argv.some((arg) => arg === '-V' || arg === '--version');
}
