/**
 * examples/: the Docker Compose setup cannot be started here (no images), so its files are read
 * and checked for the mistakes that would only show once deployed: a secret that differs between
 * Directus and Soketi, a host that names no service, a misspelled RT_* variable, a Dockerfile
 * installing another version than this package's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RT_VARIABLES } from '../../shared/src/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Pkg {
	name: string;
	version: string;
}

type Service = {
	image?: string;
	build?: unknown;
	environment?: Record<string, unknown> | string[];
	ports?: Array<string | number | { published?: string | number; host_ip?: string; target?: number }>;
	depends_on?: string[] | Record<string, unknown>;
};

const SOKETI_DEFAULT_PORT = '6001';
const POSTGRES_DEFAULT_PORT = '5432';
const REDIS_DEFAULT_PORT = '6379';

function environment(service: Service | undefined): Record<string, string> {
	const env = service?.environment;
	if (!env) return {};
	if (Array.isArray(env)) {
		return Object.fromEntries(env.map((entry) => {
			const at = entry.indexOf('=');
			return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
		}));
	}
	return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === null || value === undefined ? '' : String(value)]));
}

/** `${NAME}`, `${NAME:?message}`, `${NAME:-default}`... as NAME; anything else as itself. */
function interpolated(value: string | undefined): string | undefined {
	const match = value?.match(/^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}$/);
	return match ? `\${${match[1]}}` : value;
}

/** Names a compose file interpolates (`${NAME...}`), required (`:?`/`?`) or not. */
function interpolations(text: string): Array<{ name: string; required: boolean }> {
	return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?\?)?/g)].map((m) => ({ name: m[1]!, required: m[2] !== undefined }));
}

function parseEnvFile(text: string): Map<string, string> {
	const vars = new Map<string, string>();
	for (const line of text.split('\n')) {
		const match = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/);
		if (match) vars.set(match[1]!, match[2]!.trim());
	}
	return vars;
}

function dependsOn(service: Service): string[] {
	const deps = service.depends_on;
	if (!deps) return [];
	return Array.isArray(deps) ? deps : Object.keys(deps);
}

/** Host side of each published port: `ip:port` (ip `*` when unbound). Unpublished ones are skipped. */
function publishedPorts(service: Service): string[] {
	const out: string[] = [];
	for (const port of service.ports ?? []) {
		if (typeof port === 'object') {
			if (port.published !== undefined) out.push(`${port.host_ip ?? '*'}:${port.published}`);
			continue;
		}
		const parts = String(port).replace(/\/(tcp|udp)$/, '').split(':');
		if (parts.length === 2) out.push(`*:${parts[0]}`);
		else if (parts.length === 3) out.push(`${parts[0] || '*'}:${parts[1]}`);
	}
	return out;
}

/**
 * The problems of the example setup: compose file, Dockerfile and .env.example. Empty when the
 * setup is consistent. Each problem is one line naming what is wrong.
 */
export function checkExamples(composeText: string, dockerfileText: string, envExample: string, knownVars: readonly string[], pkg: Pkg): string[] {
	const problems: string[] = [];
	const known = new Set(knownVars);
	let compose: { services?: Record<string, Service> };
	try {
		compose = parse(composeText) ?? {};
	} catch (error) {
		return [`docker-compose.yml does not parse: ${(error as Error).message}`];
	}
	const services = compose.services ?? {};
	const names = Object.keys(services);
	const byImage = (pattern: RegExp) => names.filter((name) => pattern.test(services[name]!.image ?? ''));
	const soketi = byImage(/soketi/)[0];
	const postgres = byImage(/(^|\/)(postgres|postgis)[:@]|(^|\/)(postgres|postgis)$/)[0];
	const redis = byImage(/(^|\/)redis[:@]|(^|\/)redis$/)[0];
	const directus = names.find((name) => services[name]!.build !== undefined) ?? byImage(/directus/)[0];
	for (const [role, name] of Object.entries({ Directus: directus, Soketi: soketi, PostgreSQL: postgres, Redis: redis })) {
		if (!name) problems.push(`no ${role} service`);
	}
	const d = environment(directus ? services[directus] : undefined);
	const s = environment(soketi ? services[soketi] : undefined);
	const p = environment(postgres ? services[postgres] : undefined);

	// RT_* names: known ones only, in the compose file (anywhere) and in .env.example.
	for (const name of new Set(composeText.match(/\bRT_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])) {
		if (!known.has(name)) problems.push(`docker-compose.yml: ${name} is not a known RT_* variable`);
	}
	const envVars = parseEnvFile(envExample);
	for (const name of envVars.keys()) {
		if (name.startsWith('RT_') && !known.has(name)) problems.push(`.env.example: ${name} is not a known RT_* variable`);
	}
	// Every variable the compose file interpolates is in .env.example.
	const composeLines = composeText.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');
	for (const { name, required } of interpolations(composeLines)) {
		if (!envVars.has(name)) problems.push(`docker-compose.yml uses \${${name}}${required ? ' (required)' : ''}, which .env.example does not list`);
	}
	for (const line of composeText.split('\n')) {
		// A secret written into the file rather than taken from .env.
		const match = line.match(/^\s*(RT_APP_SECRET|SOKETI_DEFAULT_APP_SECRET|SECRET|DB_PASSWORD|POSTGRES_PASSWORD|ADMIN_PASSWORD):\s*(.*)$/);
		if (match && !/^["']?\$\{/.test(match[2]!)) problems.push(`docker-compose.yml: ${match[1]} is written in the file, not taken from .env`);
	}

	// The Pusher app: Directus signs with what Soketi checks.
	if (directus && soketi) {
		for (const part of ['ID', 'KEY', 'SECRET']) {
			const ours = interpolated(d[`RT_APP_${part}`]);
			const theirs = interpolated(s[`SOKETI_DEFAULT_APP_${part}`]);
			if (ours === undefined || ours === '') problems.push(`Directus: RT_APP_${part} is not set`);
			else if (ours !== theirs) problems.push(`RT_APP_${part} (${ours}) differs from Soketi's SOKETI_DEFAULT_APP_${part} (${theirs ?? 'unset'})`);
		}
		const host = d.RT_APP_HOST;
		if (!host || !names.includes(host)) problems.push(`RT_APP_HOST (${host ?? 'unset'}) names no service`);
		else if (host !== soketi) problems.push(`RT_APP_HOST (${host}) is not the Soketi service (${soketi})`);
		const soketiPort = s.SOKETI_PORT || SOKETI_DEFAULT_PORT;
		if ((d.RT_APP_PORT || SOKETI_DEFAULT_PORT) !== soketiPort) problems.push(`RT_APP_PORT (${d.RT_APP_PORT ?? 'unset'}) is not the port Soketi listens on (${soketiPort})`);
		if (s.SOKETI_ADAPTER_DRIVER !== 'redis') problems.push(`Soketi: SOKETI_ADAPTER_DRIVER is ${s.SOKETI_ADAPTER_DRIVER ?? 'unset'}, not redis (events would reach one node's clients only)`);
		if (redis && s.SOKETI_DB_REDIS_HOST !== redis) problems.push(`Soketi: SOKETI_DB_REDIS_HOST (${s.SOKETI_DB_REDIS_HOST ?? 'unset'}) is not the Redis service (${redis})`);
	}

	// Database.
	if (directus && postgres) {
		if (d.DB_HOST !== postgres) problems.push(`DB_HOST (${d.DB_HOST ?? 'unset'}) is not the PostgreSQL service (${postgres})`);
		const port = p.PGPORT || POSTGRES_DEFAULT_PORT;
		if ((d.DB_PORT || POSTGRES_DEFAULT_PORT) !== port) problems.push(`DB_PORT (${d.DB_PORT ?? 'unset'}) is not PostgreSQL's port (${port})`);
		for (const [ours, theirs] of [['DB_USER', 'POSTGRES_USER'], ['DB_DATABASE', 'POSTGRES_DB'], ['DB_PASSWORD', 'POSTGRES_PASSWORD']] as const) {
			if (interpolated(d[ours]) !== interpolated(p[theirs])) problems.push(`${ours} (${d[ours] ?? 'unset'}) differs from PostgreSQL's ${theirs} (${p[theirs] ?? 'unset'})`);
		}
	}

	// Redis.
	if (directus && redis) {
		const url = d.REDIS;
		let host: string | undefined;
		let port: string | undefined;
		try {
			// The password may be an interpolation: only host and port matter here.
			const parsed = new URL((url ?? '').replace(/\$\{[^}]*\}/g, 'x'));
			if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error('not redis');
			host = parsed.hostname;
			port = parsed.port || REDIS_DEFAULT_PORT;
		} catch {
			problems.push(`Directus: REDIS (${url ?? 'unset'}) is not a redis:// URL`);
		}
		if (host !== undefined && host !== redis) problems.push(`Directus: REDIS points at ${host}, not the Redis service (${redis})`);
		if (port !== undefined && port !== REDIS_DEFAULT_PORT) problems.push(`Directus: REDIS port ${port} is not Redis' port (${REDIS_DEFAULT_PORT})`);
		if (d.CACHE_ENABLED === 'true' && d.CACHE_STORE !== 'redis') problems.push('Directus: CACHE_STORE is not redis (each node would cache on its own)');
	}

	// Directus' process and CORS.
	if (directus) {
		if (!(d.NODE_OPTIONS ?? '').split(/\s+/).includes('--no-node-snapshot')) problems.push('Directus: NODE_OPTIONS lacks --no-node-snapshot (isolated-vm needs it)');
		const headers = (d.CORS_ALLOWED_HEADERS ?? '').split(',').map((h) => h.trim().toLowerCase());
		for (const header of ['Content-Type', 'Authorization', 'X-Socket-ID']) {
			if (!headers.includes(header.toLowerCase())) problems.push(`Directus: CORS_ALLOWED_HEADERS lacks ${header}`);
		}
		if (d.CORS_ENABLED !== 'true') problems.push('Directus: CORS_ENABLED is not true');
		if (services[directus]!.build === undefined) problems.push('Directus: not built from the Dockerfile (no build section)');
	}

	// Service graph and ports.
	for (const name of names) {
		for (const dep of dependsOn(services[name]!)) if (!names.includes(dep)) problems.push(`${name} depends on ${dep}, which is no service`);
	}
	const published = new Map<string, string>();
	for (const name of names) {
		for (const port of publishedPorts(services[name]!)) {
			const [ip, number] = [port.slice(0, port.lastIndexOf(':')), port.slice(port.lastIndexOf(':') + 1)];
			for (const [other, owner] of published) {
				const [otherIp, otherNumber] = [other.slice(0, other.lastIndexOf(':')), other.slice(other.lastIndexOf(':') + 1)];
				if (number === otherNumber && (ip === otherIp || ip === '*' || otherIp === '*')) problems.push(`host port ${number} is published by both ${owner} and ${name}`);
			}
			published.set(port, name);
		}
	}

	// Dockerfile: the Directus image, and this package at this version.
	const instructions = dockerfileText.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
	const from = instructions.find((line) => /^FROM\s/i.test(line));
	const base = from?.match(/^FROM\s+(?:--platform=\S+\s+)?(\S+)/i)?.[1];
	if (!base || !/^(docker\.io\/)?directus\/directus:1[12]\.\d+\.\d+$/.test(base)) problems.push(`Dockerfile: FROM ${base ?? '(none)'} is not directus/directus:<12.x.y or 11.x.y>`);
	const spec = `${pkg.name}@${pkg.version}`;
	const installs = instructions.filter((line) => /^RUN\s/i.test(line) && /\b(npm|pnpm)\s+(install|i|add)\b/.test(line));
	if (!installs.some((line) => line.split(/\s+/).includes(spec))) {
		const found = installs.flatMap((line) => line.split(/\s+/).filter((word) => word.includes('realtime') || word.startsWith(`${pkg.name}@`)));
		problems.push(`Dockerfile: does not install ${spec}${found.length ? ` (installs ${found.join(', ')})` : ''}`);
	}

	return problems;
}

const files = () => ({
	compose: read('examples/docker-compose.yml'),
	dockerfile: read('examples/Dockerfile'),
	env: read('examples/.env.example'),
	pkg: JSON.parse(read('package.json')) as Pkg,
});

describe('examples/', () => {
	it('the compose file, Dockerfile and .env.example agree with each other and with this package', () => {
		const { compose, dockerfile, env, pkg } = files();
		assert.deepEqual(checkExamples(compose, dockerfile, env, RT_VARIABLES, pkg), []);
	});

	it('the README points at the files and at the RT_* table', () => {
		const readme = read('examples/README.md');
		assert.match(readme, /cp \.env\.example \.env/);
		assert.match(readme, /docker compose up -d/);
		assert.match(readme, /\.\.\/README\.md#configuration/);
	});

	/** Each mutation of a real file, and the problem it must cause. */
	const mutations: Array<{ what: string; file: 'compose' | 'dockerfile' | 'env'; from: string | RegExp; to: string; problem: RegExp }> = [
		{ what: 'a misspelled RT_APP_HOST value', file: 'compose', from: 'RT_APP_HOST: soketi', to: 'RT_APP_HOST: sokti', problem: /^RT_APP_HOST \(sokti\) names no service$/ },
		{ what: 'RT_APP_HOST naming another service', file: 'compose', from: 'RT_APP_HOST: soketi', to: 'RT_APP_HOST: redis', problem: /^RT_APP_HOST \(redis\) is not the Soketi service/ },
		{ what: 'a misspelled RT_* name', file: 'compose', from: 'RT_APP_SECRET: ${', to: 'RT_APP_SCERET: ${', problem: /RT_APP_SCERET is not a known RT_\* variable/ },
		{ what: 'a misspelled RT_* name in .env.example', file: 'env', from: 'RT_ENCRYPTION_MASTER_KEY=', to: 'RT_ENCRYPTION_KEY=', problem: /^\.env\.example: RT_ENCRYPTION_KEY is not a known RT_\* variable$/ },
		{ what: 'a secret Soketi does not share', file: 'compose', from: /SOKETI_DEFAULT_APP_SECRET: \$\{RT_APP_SECRET/, to: 'SOKETI_DEFAULT_APP_SECRET: ${SOKETI_SECRET', problem: /^RT_APP_SECRET \(\$\{RT_APP_SECRET\}\) differs from Soketi's SOKETI_DEFAULT_APP_SECRET \(\$\{SOKETI_SECRET\}\)$/ },
		{ what: 'a literal app key on one side', file: 'compose', from: /RT_APP_KEY: \$\{[^}]*\}/, to: 'RT_APP_KEY: app-key', problem: /^RT_APP_KEY \(app-key\) differs from Soketi's SOKETI_DEFAULT_APP_KEY/ },
		{ what: 'a secret written into the file', file: 'compose', from: /RT_APP_SECRET: \$\{[^}]*\}/, to: 'RT_APP_SECRET: app-secret', problem: /RT_APP_SECRET is written in the file/ },
		{ what: 'a wrong RT_APP_PORT', file: 'compose', from: 'RT_APP_PORT: "6001"', to: 'RT_APP_PORT: "6002"', problem: /^RT_APP_PORT \(6002\) is not the port Soketi listens on \(6001\)$/ },
		{ what: 'Soketi on another port', file: 'compose', from: 'SOKETI_PORT: "6001"', to: 'SOKETI_PORT: "6005"', problem: /^RT_APP_PORT \(6001\) is not the port Soketi listens on \(6005\)$/ },
		{ what: 'Soketi without the Redis adapter', file: 'compose', from: 'SOKETI_ADAPTER_DRIVER: redis', to: 'SOKETI_ADAPTER_DRIVER: local', problem: /SOKETI_ADAPTER_DRIVER is local, not redis/ },
		{ what: 'DB_HOST off the database service', file: 'compose', from: 'DB_HOST: postgres', to: 'DB_HOST: localhost', problem: /^DB_HOST \(localhost\) is not the PostgreSQL service \(postgres\)$/ },
		{ what: 'a wrong DB_PORT', file: 'compose', from: 'DB_PORT: "5432"', to: 'DB_PORT: "3306"', problem: /^DB_PORT \(3306\) is not PostgreSQL's port \(5432\)$/ },
		{ what: 'another database user', file: 'compose', from: 'DB_USER: directus', to: 'DB_USER: postgres', problem: /^DB_USER \(postgres\) differs from PostgreSQL's POSTGRES_USER/ },
		{ what: 'REDIS at another host', file: 'compose', from: '@redis:6379', to: '@localhost:6379', problem: /REDIS points at localhost, not the Redis service \(redis\)/ },
		{ what: 'REDIS not a URL', file: 'compose', from: /REDIS: redis:\/\/.*$/m, to: 'REDIS: redis', problem: /REDIS \(redis\) is not a redis:\/\/ URL/ },
		{ what: 'NODE_OPTIONS without --no-node-snapshot', file: 'compose', from: 'NODE_OPTIONS: --no-node-snapshot', to: 'NODE_OPTIONS: --max-old-space-size=2048', problem: /NODE_OPTIONS lacks --no-node-snapshot/ },
		{ what: 'CORS without X-Socket-ID', file: 'compose', from: ',X-Socket-ID', to: '', problem: /CORS_ALLOWED_HEADERS lacks X-Socket-ID/ },
		{ what: 'a dependency on a missing service', file: 'compose', from: /\n      soketi:\n        condition/, to: '\n      sockets:\n        condition', problem: /^directus depends on sockets, which is no service$/ },
		{ what: 'two services on one host port', file: 'compose', from: '"6001:6001"', to: '"8055:6001"', problem: /^host port 8055 is published by both soketi and directus$/ },
		{ what: 'an interpolated variable .env.example lacks', file: 'env', from: /^REDIS_PASSWORD=.*$/m, to: '', problem: /uses \$\{REDIS_PASSWORD\} \(required\), which \.env\.example does not list/ },
		{ what: 'another base image', file: 'dockerfile', from: /^FROM .*$/m, to: 'FROM node:22-alpine', problem: /^Dockerfile: FROM node:22-alpine is not directus\/directus/ },
		{ what: 'an old Directus', file: 'dockerfile', from: /^FROM directus\/directus:\S+/m, to: 'FROM directus/directus:10.13.0', problem: /^Dockerfile: FROM directus\/directus:10\.13\.0 is not/ },
		{ what: 'a floating Directus tag', file: 'dockerfile', from: /^FROM directus\/directus:\S+/m, to: 'FROM directus/directus:latest', problem: /^Dockerfile: FROM directus\/directus:latest is not/ },
		{ what: 'another version of the package', file: 'dockerfile', from: /(install \S+)@\S+/, to: '$1@0.0.9', problem: /^Dockerfile: does not install .* \(installs .*@0\.0\.9\)$/ },
		{ what: 'the install only in a comment', file: 'dockerfile', from: /^RUN pnpm install \S+$/m, to: '# removed', problem: /^Dockerfile: does not install \S+$/ },
	];

	for (const m of mutations) {
		it(`reports ${m.what}`, () => {
			const real = files();
			const text = real[m.file];
			const mutated = typeof m.from === 'string' ? text.replace(m.from, m.to) : text.replace(m.from, m.to);
			assert.notEqual(mutated, text, `the mutation applies to the real ${m.file}`);
			const input = { ...real, [m.file]: mutated };
			const baseline = checkExamples(real.compose, real.dockerfile, real.env, RT_VARIABLES, real.pkg);
			assert.ok(!baseline.some((p) => m.problem.test(p)), 'the real files do not have this problem');
			const problems = checkExamples(input.compose, input.dockerfile, input.env, RT_VARIABLES, real.pkg);
			assert.ok(problems.some((p) => m.problem.test(p)), `expected ${m.problem}, got ${JSON.stringify(problems)}`);
		});
	}

	it('reports a package.json version the Dockerfile does not install', () => {
		const { compose, dockerfile, env, pkg } = files();
		const problems = checkExamples(compose, dockerfile, env, RT_VARIABLES, { name: pkg.name, version: '99.0.0' });
		assert.ok(problems.some((p) => p.startsWith(`Dockerfile: does not install ${pkg.name}@99.0.0`)), JSON.stringify(problems));
	});

	it('reports a variable that is not in the known list', () => {
		const { compose, dockerfile, env, pkg } = files();
		const problems = checkExamples(compose, dockerfile, env, RT_VARIABLES.filter((name) => name !== 'RT_USE_TLS'), pkg);
		assert.ok(problems.includes('docker-compose.yml: RT_USE_TLS is not a known RT_* variable'), JSON.stringify(problems));
	});
});
