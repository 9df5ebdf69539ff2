// Runs a Veritrain program (a .ts file) as a child process, as a user would, and collects its output.
import { spawn } from 'node:child_process';

export interface ProgramResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runProgram(script: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
