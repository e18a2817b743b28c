/**
 * Hardware mistakes found while building or checking a design. Each diagnostic
 * names the TypeScript line that made the offending signal or statement.
 */
import { UserError } from '../../util/errors.ts';
import { describeLoc, type SourceLoc } from './loc.ts';

export type CheckKind =
  | 'width'
  | 'type'
  | 'undriven'
  | 'multiple-drivers'
  | 'comb-loop'
  | 'comb-path'
  | 'latch'
  | 'unknown-port'
  | 'unconnected-port'
  | 'unused'
  | 'constant'
  | 'structure'
  | 'name'
  | 'ownership'
  | 'index'
  | 'memory'
  | 'interface';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly kind: CheckKind;
  readonly loc: SourceLoc;
  /** One sentence, says what is wrong and what to do. */
  readonly message: string;
  readonly module?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${describeLoc(d.loc)}: ${d.severity} [${d.kind}]${d.module ? ` in module ${d.module}` : ''}: ${d.message}`;
}

/**
 * Thrown for design errors. Its message is one line per problem (the first line
 * alone when there is one), so the CLI prints it as it stands.
 */
export class DesignError extends UserError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'UserError';
    this.diagnostics = diagnostics;
  }
}

/** The modules whose defineModule() body is running, innermost last, with the warnings found so far. */
const elaborating: { name: string; warnings: Diagnostic[] }[] = [];

/** Run a module body with its name on the elaboration stack; returns its construction warnings too. */
export function withModule<T>(name: string, body: () => T): { result: T; warnings: Diagnostic[] } {
  const frame = { name, warnings: [] as Diagnostic[] };
  elaborating.push(frame);
  try {
    return { result: body(), warnings: frame.warnings };
  } finally {
    elaborating.pop();
  }
}

/** Record a warning about a construct of the module being built (reported by checkDesign). */
export function designWarning(kind: CheckKind, loc: SourceLoc, message: string): void {
  const frame = elaborating[elaborating.length - 1];
  frame?.warnings.push({ severity: 'warning', kind, loc, message, module: frame.name });
}

/** Fail at construction time: the stack is still the user's. */
export function designError(kind: CheckKind, loc: SourceLoc, message: string, module?: string): never {
  throw new DesignError([{ severity: 'error', kind, loc, message, module: module ?? elaborating[elaborating.length - 1]?.name }]);
}
