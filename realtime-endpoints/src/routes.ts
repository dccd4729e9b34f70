/** The endpoint's routes: transport only. Each handler parses, delegates, and maps errors. */
import type { Router, Request, Response } from 'express';
import type { Knex } from 'knex';
import {
	authenticateUser,
	authorizeChannel,
	callerHelpers,
	errorAnswer,
	readBodyFields,
	readCaller,
	redactItem,
	runtimeStats,
	type Accountability,
	type CallerServices,
	type RealtimeRuntime,
	type RequestLike,
	type SchemaLike,
} from '@directus-realtime/shared';

interface Deps {
	runtime: RealtimeRuntime;
	services: CallerServices;
	database: Knex;
	getSchema: () => Promise<unknown>;
	logger: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

type DirectusRequest = Request & { accountability?: Accountability; schema?: unknown };

function send(res: Response, work: () => Promise<unknown>, logger: Deps['logger']): void {
	work().then(
		(body) => {
			res.status(200).json(body);
		},
		(error) => {
			const answer = errorAnswer(error);
			if (answer.status >= 500 && answer.status !== 501) logger.error(`realtime: endpoint failed: ${(error as Error).message}`);
			res.status(answer.status).json(answer.body);
		},
	);
}

export function registerRoutes(router: Router, deps: Deps): void {
	const { runtime, services, logger } = deps;
	const publicAccountability: Accountability = { user: null, role: null, roles: [], admin: false, app: false };

	router.post('/auth', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const body = await readBodyFields(req as unknown as RequestLike, ['socket_id', 'channel_name']);
				const accountability = req.accountability ?? publicAccountability;
				const schema = req.schema ?? (await deps.getSchema());
				return authorizeChannel({ socket_id: body.socket_id, channel_name: body.channel_name }, accountability.user, {
					registry: runtime.registry,
					scripts: runtime.scripts.authorizers,
					pusher: runtime.pusher,
					encryption: runtime.config.pusher.encryptionMasterKeyBase64 !== undefined,
					caller: (withPermissions) => readCaller(accountability, services, schema, withPermissions),
					helpers: callerHelpers(accountability, services, schema, deps.database),
					log: logger,
				});
			},
			logger,
		),
	);

	router.post('/user-auth', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const body = await readBodyFields(req as unknown as RequestLike, ['socket_id']);
				const accountability = req.accountability ?? publicAccountability;
				const schema = req.schema ?? (await deps.getSchema());
				return authenticateUser(body.socket_id, accountability.user, {
					pusher: runtime.pusher,
					userInfoFields: runtime.config.auth.userInfoFields,
					// RT_USER_INFO_FIELDS may name relations (role.*): no secret at any depth.
					readUser: async (fields) =>
						redactItem(schema as SchemaLike, 'directus_users', await new services.UsersService({ schema }).readOne(accountability.user!, { fields: ['id', ...fields] })),
				});
			},
			logger,
		),
	);

	router.get('/health', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const admin = req.accountability?.admin === true;
				// Details (queue depth, failures) are for admins; anyone may see that it is up.
				return admin ? { status: 'ok', ...runtimeStats(runtime) } : { status: 'ok' };
			},
			logger,
		),
	);
}
