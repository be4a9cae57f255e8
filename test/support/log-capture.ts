// A pino logger whose lines a test reads: each one parsed, in the order written.
import pino, { type Logger } from 'pino';

export function capturedLog(level: pino.LevelWithSilent = 'debug'): { log: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}
