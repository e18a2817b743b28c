/**
 * The Verilog header parser (see headers.ts for the API and what it understands).
 *   import { parseVerilogHeaders, readVerilogHeaders, findModule, VerilogParseError } from '../verilog-header/index.ts';
 */
export { parseVerilogHeaders, readVerilogHeaders, findModule, parseAttribute } from './headers.ts';
export type { ModuleHeader, PortInfo, ParameterInfo, Direction, ParamOverrides, ParseOptions } from './headers.ts';
export { VerilogParseError } from './errors.ts';
