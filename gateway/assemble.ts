/**
 * The gateway script is written as parts (gateway/README.md "Source layout"): apply-config.sh
 * sources lib/*.sh and reads its jq and awk programs from jq/ and awk/. An instance gets one file,
 * so this module inlines the parts: the SSM documents (lib/constructs/gateway-command-document.ts)
 * carry its output, and the embedded runtime's hosts (runtime/hosts) run it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The folder of the script's parts. */
export const GATEWAY_SOURCE_DIR = resolve(__dirname);
const ENTRY = 'apply-config.sh';
/** `. "$GATEWAY_SRC/lib/name.sh"`: replaced by that file. */
const SOURCE_LINE = /^\. "\$GATEWAY_SRC\/(lib\/[a-z-]+\.sh)"$/;
/** `NAME=$(<"$GATEWAY_SRC/jq/name.jq")`: replaced by `NAME='<the program>'`. */
const PROGRAM_LINE = /^([A-Z_]+)=\$\(<"\$GATEWAY_SRC\/((?:jq|awk)\/[a-z-]+\.(?:jq|awk))"\)$/;
/** ShellCheck's file directives only help it follow the parts; the one file needs none. */
const PART_DIRECTIVE = /^# shellcheck (?:shell=bash|source=\S+|source-path=\S+)$/;

/** The whole gateway script, as one file's text. */
export function assembleGatewayScript(sourceDir: string = GATEWAY_SOURCE_DIR): string {
  const script = inline(sourceDir, ENTRY);
  const leftover = script
    .split('\n')
    .find((line) => line.includes('$GATEWAY_SRC') && !line.trimStart().startsWith('#'));
  if (leftover !== undefined) throw new Error(`gateway script part not inlined: ${leftover}`);
  return script;
}

/**
 * Writes the assembled script to `<dir>/apply-config.sh` (0700, renamed into place so a run in
 * progress never reads half a file) and returns its path.
 */
export function writeGatewayScript(dir: string, sourceDir: string = GATEWAY_SOURCE_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, ENTRY);
  const staged = `${file}.${process.pid}.tmp`;
  writeFileSync(staged, assembleGatewayScript(sourceDir), { mode: 0o700 });
  chmodSync(staged, 0o700);
  renameSync(staged, file);
  return file;
}

function inline(sourceDir: string, part: string): string {
  const lines = readFileSync(join(sourceDir, part), 'utf8').split('\n');
  return lines
    .filter((line) => !PART_DIRECTIVE.test(line))
    .map((line) => {
      const sourced = SOURCE_LINE.exec(line);
      if (sourced?.[1]) return inline(sourceDir, sourced[1]).replace(/\n$/, '');
      const program = PROGRAM_LINE.exec(line);
      if (program?.[1] && program[2])
        return `${program[1]}=${singleQuoted(readProgram(sourceDir, program[2]))}`;
      return line;
    })
    .join('\n');
}

/** As `$(<file)` reads it: without its trailing newlines. */
function readProgram(sourceDir: string, part: string): string {
  return readFileSync(join(sourceDir, part), 'utf8').replace(/\n+$/, '');
}

function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * `tsx gateway/assemble.ts` prints the assembled script; `--shellcheck` runs ShellCheck on it (npm
 * run lint), which sees every part at once, so a variable set in one part and read in another is
 * neither unused nor unassigned.
 */
if (require.main === module) {
  const script = assembleGatewayScript();
  if (process.argv.includes('--shellcheck')) {
    const check = spawnSync('shellcheck', ['--shell=bash', '-'], {
      input: script,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    if (check.error) throw check.error;
    process.exitCode = check.status ?? 1;
  } else {
    process.stdout.write(script);
  }
}
