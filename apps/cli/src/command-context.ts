import type { Command } from 'commander';
import { Session, type GlobalOptions } from './session.js';

/** The options every command inherits (--api, --json), read from the command that runs. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export async function sessionOf(command: Command): Promise<Session> {
  return Session.open(globalsOf(command));
}

export function wantsJson(command: Command): boolean {
  return globalsOf(command).json === true;
}
