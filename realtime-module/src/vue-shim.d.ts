// Single-file components are compiled by the extensions SDK's build; tsc sees them as opaque.
declare module '*.vue' {
	const component: unknown;
	export default component;
}
