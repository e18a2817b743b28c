/**
 * The public API of the sparsegrad hardware construction DSL. Import from here:
 *   import { defineModule, UInt, Bool, mux, cat, emitDesign } from '../generator/index.ts';
 * See generator/README.md for the guide.
 */
export { Bool, UInt, SInt, Vec, Bundle, bitWidth, log2Up, Ground } from './core/types.ts';
export type { HwType, VecType, BundleType } from './core/types.ts';
export { Expr, Signal, lit, mux, cat, select } from './core/expr.ts';
export type { Operand } from './core/expr.ts';
export { defineModule, ModuleBuilder, Memory, WhenChain, SwitchChain, leaves, mapShape } from './core/module.ts';
export type { Hw, ModuleDef, PortInfo, RegOptions, Stmt } from './core/module.ts';
export { pack, unpack } from './core/pack.ts';
export type { Val } from './core/pack.ts';
export { DesignError, formatDiagnostic } from './core/errors.ts';
export type { Diagnostic, CheckKind } from './core/errors.ts';
export type { SourceLoc } from './core/loc.ts';
export { formatLoc } from './core/loc.ts';
export { blackBox } from './core/blackbox.ts';
export type { BlackBoxSpec } from './core/blackbox.ts';
export { checkDesign } from './checks/index.ts';
export type { CheckResult } from './checks/index.ts';
export { emitDesign, emitVerilog, emitFormalWrappers } from './backend/design.ts';
export type { EmittedDesign, Manifest, ManifestModule, ManifestPort } from './backend/design.ts';
export type { FormalWrapper, WrapperProperty } from './backend/formal.ts';
export type { FormalProperty, PropertyKind } from './core/formal.ts';
