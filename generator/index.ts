/**
 * The public API of the sparsegrad hardware construction DSL. Import from here:
 *   import { defineModule, UInt, Bool, mux, cat, emitDesign } from '../generator/index.ts';
 * See generator/README.md for the guide.
 */
export { Bool, UInt, SInt, Vec, Bundle, bitWidth, log2Up, Ground } from './core/types.ts';
export type { HwType, VecType, BundleType } from './core/types.ts';
export { Expr, Signal, lit, mux, cat, select } from './core/expr.ts';
export type { Operand } from './core/expr.ts';
export { defineModule, ModuleBuilder, Memory, WhenChain, SwitchChain, leaves, mapShape, shapeHooks } from './core/module.ts';
export type { ShapeHooks, Hw, ModuleDef, PortInfo, RegOptions, Stmt } from './core/module.ts';
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
export { emitDesign, emitVerilog, emitFormalWrappers, collectWarnings, printWarnings, blackBoxManifest } from './backend/design.ts';
export type { EmitOptions, EmittedDesign, Manifest, ManifestInterface, ManifestModule, ManifestPort } from './backend/design.ts';
export type { FormalWrapper, WrapperProperty } from './backend/formal.ts';
export type { FormalProperty, PropertyKind } from './core/formal.ts';

// ---- the standard library: streams, AXI interfaces, stream operators, FIFOs, fixed point ----
export { Stream, StreamSignature, streamOf, streamPort, streamIn, streamOut, streamWire, connectStreams, payload, fire, dataType, typeName, sameType, payloadLayout } from './lib/stream.ts';
export type { PayloadField, PayloadType, PayloadOf, StreamOptions, StreamSpec, StreamFlow } from './lib/stream.ts';
export { AxiLite, Axi4, AxiSignature, AxiInterface, AxiChannel, axiPort, connectAxi, declareRegisters } from './lib/axi.ts';
export type { RegisterInfo, AxiKind, AxiLiteConfig, Axi4Config, AxiChannelName } from './lib/axi.ts';
export { connect } from './lib/connect.ts';
export { queue, map, fork, join, arbiter, widthConvert } from './lib/stream-ops.ts';
export { pipe, skid, registerSlice, skidBuffer } from './lib/stages.ts';
export { fifo } from './lib/fifo.ts';
export { regQueue, shiftQueue, bramQueue, type InlineQueue } from './lib/queues.ts';
export type { FifoConfig, FifoIO } from './lib/fifo.ts';
export { Fixed, SFix, UFix, fixType, fixWidth, fixName, rawRange, resizeRaw } from './lib/fixed.ts';
export type { FixFormat, Rounding, Overflow } from './lib/fixed.ts';
