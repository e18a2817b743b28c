/** The one error type of the Verilog header parser: `file:line:col: what is wrong`. */
import { UserError } from '../../util/errors.ts';

export class VerilogParseError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly what: string,
  ) {
    super(`${file}:${line}:${col}: ${what}`);
  }
}
