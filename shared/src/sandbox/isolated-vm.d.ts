// The part of isolated-vm 5's API the sandbox uses. isolated-vm is not a dependency of this
// package (it is loaded at run time from the Directus host, see engine.ts), so its own
// isolated-vm.d.ts cannot be referenced; this shim declares just what we call. Keep it in step
// with node_modules/isolated-vm/isolated-vm.d.ts when upgrading.
declare module 'isolated-vm' {
	export interface IsolateOptions {
		/** In MB; at least 8. */
		memoryLimit?: number;
		onCatastrophicError?: (message: string) => void;
	}

	export interface ScriptOrigin {
		filename?: string;
		lineOffset?: number;
		columnOffset?: number;
	}

	export interface RunOptions {
		/** Milliseconds; covers the call and the microtasks it queues. */
		timeout?: number;
	}

	export interface TransferOptions {
		copy?: boolean;
		reference?: boolean;
	}

	export interface ApplyOptions extends RunOptions {
		arguments?: TransferOptions;
		result?: TransferOptions;
	}

	export class Isolate {
		constructor(options?: IsolateOptions);
		readonly isDisposed: boolean;
		compileScriptSync(code: string, origin?: ScriptOrigin): Script;
		createContextSync(): Context;
		createContext(): Promise<Context>;
		dispose(): void;
	}

	export class Context {
		private constructor();
		evalClosureSync(code: string, args?: unknown[], options?: ApplyOptions & ScriptOrigin): unknown;
		evalClosure(code: string, args?: unknown[], options?: ApplyOptions & ScriptOrigin): Promise<unknown>;
		release(): void;
	}

	export class Script {
		private constructor();
		runSync(context: Context, options?: RunOptions & TransferOptions): unknown;
		release(): void;
	}

	export class Dereference {
		private constructor();
	}

	export class Reference {
		private constructor();
		applySync(receiver: undefined, args: unknown[], options?: ApplyOptions): unknown;
		apply(receiver: undefined, args: unknown[], options?: ApplyOptions): Promise<unknown>;
		getSync(property: string, options: { reference: true }): Reference;
		get(property: string, options: { reference: true }): Promise<Reference>;
		derefInto(): Dereference;
		release(): void;
	}

	/** A host function the isolate may call; arguments and results are copied. */
	export class Callback {
		constructor(fn: (...args: never[]) => unknown);
	}
}
