/** The endpoint's routes: transport only. Each handler parses, delegates, and maps errors. */
import type { Router, Request, Response } from 'express';
import type { Knex } from 'knex';
import {
	adminsOnly,
	authenticateUser,
	channelRowsOverview,
	databaseRowLoader,
	dryRunAuthorizer,
	dryRunPublisher,
	parseDryRun,
	RealtimeError,
	authorizeChannel,
	callerHelpers,
	channelMembers,
	occupiedChannels,
	errorAnswer,
	readBodyFields,
	readCaller,
	fieldReadsSecret,
	notAllowedToJoin,
	redactItem,
	runtimeStats,
	type Accountability,
	type CallerServices,
	type RealtimeRuntime,
	type RequestLike,
	type SchemaLike,
	VERIFIED_WEBHOOK,
	boundClientEvents,
	webhookActions,
	type WebhookBatch,
	type ActionEmitter,
} from '@directus-realtime/shared';
import { accountabilityForUser, describeInactive, directusUserNamed, senderAccountability } from './user-accountability.js';
import { actingCaller } from './acting-caller.js';
import { itemForDryRun } from './dry-run-item.js';

interface Deps {
	runtime: RealtimeRuntime;
	services: CallerServices;
	database: Knex;
	getSchema: () => Promise<unknown>;
	logger: { info(m: string): void; warn(m: string): void; error(m: string): void };
	/** Directus' event emitter: webhooks become its actions. */
	emitter: Promise<ActionEmitter>;
}

const SEQ = /^\d{1,15}$/;

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
	/** Whom a request acts for now: the token's user with their current role, or the route's refusal. */
	const acting = actingCaller(deps.database, logger);
	/**
	 * Admins-only routes check the token first, before anything of the request is read (no query
	 * for anyone else), then that the user is still active and still an admin now.
	 */
	const currentAdmin = async (req: DirectusRequest, route: string, refusal: () => RealtimeError): Promise<Accountability | null> => {
		if (req.accountability?.admin !== true || !req.accountability.user) return null;
		const current = await acting(req.accountability, route, refusal);
		if (current.admin === true) return current;
		logger.info(`realtime: refused ${route} for user ${current.user}: no longer an admin (the token is still valid until it expires)`);
		return null;
	};
	const requireAdmin = async (req: DirectusRequest, route: string, refusal: () => RealtimeError = adminsOnly): Promise<Accountability> => {
		const admin = await currentAdmin(req, route, refusal);
		if (!admin) throw refusal();
		return admin;
	};
	const directusUser = (id: string) => directusUserNamed(deps.database, id);
	/** What the channel's authorizers need to decide for this caller (the same for a join and a query). */
	const authorizerDeps = (accountability: Accountability, schema: unknown) => ({
		registry: runtime.registry,
		scripts: runtime.scripts.authorizers,
		pusher: runtime.pusher,
		encryption: runtime.capabilities.encryption,
		caller: (withPermissions: boolean) => readCaller(accountability, services, schema, withPermissions),
		helpers: callerHelpers(accountability, services, schema, deps.database),
		directusUserNamed: directusUser,
		log: logger,
		observer: runtime.observer,
	});

	router.post('/auth', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const body = await readBodyFields(req as unknown as RequestLike, ['socket_id', 'channel_name']);
				const accountability = await acting(req.accountability, `/realtime/auth of ${String(body.channel_name).slice(0, 200)}`, notAllowedToJoin);
				const schema = req.schema ?? (await deps.getSchema());
				return authorizeChannel({ socket_id: body.socket_id, channel_name: body.channel_name }, accountability.user, authorizerDeps(accountability, schema));
			},
			logger,
		),
	);

	router.post('/user-auth', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const body = await readBodyFields(req as unknown as RequestLike, ['socket_id']);
				const accountability = await acting(req.accountability, '/realtime/user-auth', () => new RealtimeError('FORBIDDEN', 'not allowed to sign in'));
				const schema = req.schema ?? (await deps.getSchema());
				return authenticateUser(body.socket_id, accountability.user, {
					pusher: runtime.pusher,
					userInfoFields: runtime.config.auth.userInfoFields,
					// RT_USER_INFO_FIELDS may name relations (role.*): no secret at any depth.
					readUser: async (fields) =>
						redactItem(schema as SchemaLike, 'directus_users', await new services.UsersService({ schema }).readOne(accountability.user!, { fields: ['id', ...fields.filter((f) => !fieldReadsSecret(schema as SchemaLike, f))] })),
				});
			},
			logger,
		),
	);

	/**
	 * The sender's permissions, looked up at most once per user and second (see sender-cache.ts).
	 * Keyed by the user_id exactly as given: on SQLite the upper-case spelling of a user's id is no
	 * user's (any caller may join under it) and gets the public's permissions, so a key folded to
	 * lower case would hand it the user's cached permissions, or the user the public's. Each event
	 * gets a copy.
	 */
	const cachedSenderAccountability = async (userId: unknown): Promise<Accountability> => {
		if (typeof userId !== 'string' || userId === '') return senderAccountability(deps.database, userId);
		const accountability = await runtime.clientEvents.senders.get(userId, () => senderAccountability(deps.database, userId));
		return { ...accountability, roles: [...(accountability.roles ?? [])] };
	};

	router.post('/webhook', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				// Only the webhook gate (realtime-hooks) leaves a batch here, once key and signature held.
				const batch = (req as unknown as { [VERIFIED_WEBHOOK]?: WebhookBatch })[VERIFIED_WEBHOOK];
				if (!batch) throw new RealtimeError('UNAUTHENTICATED', 'a webhook must carry X-Pusher-Key and X-Pusher-Signature');
				// Client events over their sender's bound leave here: no permission lookup, no Flow.
				const outcome = await boundClientEvents(webhookActions(batch, await runtime.registry.snapshot()), runtime.clientEvents.bound, (row) => runtime.activity.clientEvent(row, true));
				runtime.webhooks.count(outcome);
				if (outcome.unknownEvents > 0) logger.warn(`realtime: webhook: ${outcome.unknownEvents} event(s) of unknown names ignored`);
				const context = { database: deps.database, schema: req.schema ?? (await deps.getSchema()), accountability: null };
				const emitter = await deps.emitter;
				for (const action of outcome.actions) {
					// A client event's data is the client's: Flows run on it with the sender's permissions
					// ("From Trigger"), never the system's. Presence and channel facts come from the Pusher server.
					let accountability: Accountability | null = null;
					if (action.client) {
						runtime.activity.clientEvent(action.client.row, false);
						accountability = await cachedSenderAccountability(action.payload.user_id);
					}
					emitter.emitAction(action.name, action.payload, { ...context, accountability });
				}
				return { received: batch.events.length, emitted: outcome.actions.length };
			},
			logger,
		),
	);

	// Admins only, checked before anything else; everyone else gets the same 403.
	router.get('/channels', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				await requireAdmin(req, '/realtime/channels', () => new RealtimeError('FORBIDDEN', 'not allowed to list channels'));
				return occupiedChannels(req.query as Record<string, unknown>, { pusher: runtime.pusher });
			},
			logger,
		),
	);

	router.get('/channels/:name/users', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const accountability = await acting(req.accountability, `the members of ${String(req.params.name).slice(0, 200)}`, notAllowedToJoin);
				const schema = req.schema ?? (await deps.getSchema());
				return channelMembers(req.params.name, accountability.user, authorizerDeps(accountability, schema));
			},
			logger,
		),
	);

	router.get('/health', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				// Details (queue depth, failures, rows) are for admins; anyone may see that it is up.
				const admin = await currentAdmin(req, '/realtime/health details', adminsOnly).catch((error: unknown) => {
					if (error instanceof RealtimeError && error.code === 'FORBIDDEN') return null;
					throw error;
				});
				if (!admin) return { status: 'ok' };
				const [rows, pusher] = await Promise.all([channelRowsOverview(deps.database, runtime.activity), runtime.probePusher()]);
				return { status: 'ok', ...runtimeStats(runtime), pusher, rows };
			},
			logger,
		),
	);

	router.get('/tail', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				await requireAdmin(req, '/realtime/tail');
				const after = req.query.after;
				if (after !== undefined && (typeof after !== 'string' || !SEQ.test(after))) {
					throw new RealtimeError('INVALID_PAYLOAD', 'after must be a sequence number from an earlier answer (a whole number)');
				}
				return runtime.activity.since(after === undefined ? 0 : Number(after));
			},
			logger,
		),
	);

	const loadRow = databaseRowLoader(deps.database);
	router.post('/dry-run', (req: DirectusRequest, res) =>
		send(
			res,
			async () => {
				const admin = await requireAdmin(req, '/realtime/dry-run');
				const request = parseDryRun(req.body);
				const schema = (req.schema ?? (await deps.getSchema())) as SchemaLike & { collections: Record<string, unknown> };
				if (request.kind === 'publisher') {
					return {
						data: await dryRunPublisher(request, {
							registry: runtime.registry,
							scripts: runtime.scripts.publishers,
							loadRow,
							collectionExists: (collection) => Object.hasOwn(schema.collections, collection),
							readItem: (collection, key, fields) => itemForDryRun(services, schema, collection, key, fields),
							maxPayloadBytes: runtime.config.publish.maxPayloadBytes,
							encryption: runtime.capabilities.encryption,
							user: admin.user ?? null,
						}),
					};
				}
				const accountabilities = new Map<string, ReturnType<typeof accountabilityForUser>>();
				const accountabilityOf = (user: string) => {
					if (!accountabilities.has(user)) accountabilities.set(user, accountabilityForUser(deps.database, user));
					return accountabilities.get(user)!;
				};
				const activeAccountability = async (user: string) => {
					const found = await accountabilityOf(user);
					return found && 'accountability' in found ? found.accountability : null;
				};
				return {
					data: await dryRunAuthorizer(request, {
						registry: runtime.registry,
						scripts: runtime.scripts.authorizers,
						loadRow,
						refusedBefore: async (user) => {
							const found = await accountabilityOf(user);
							return found && 'inactive' in found ? describeInactive(found.inactive) : null;
						},
						caller: async (user, withPermissions) => {
							const accountability = await activeAccountability(user);
							return accountability ? readCaller(accountability, services, schema, withPermissions) : null;
						},
						helpers: async (user) => callerHelpers((await activeAccountability(user))!, services, schema, deps.database),
						directusUserNamed: directusUser,
					}),
				};
			},
			logger,
		),
	);

	// Express decodes a route's parameters before the handler runs and passes a URIError for a
	// name that is not valid percent-encoding (`/channels/%E0%A4%A/users`, a lone `%`) on to
	// Directus, which answers it as an unexpected error: a 500 with the stack in its log. Here it is
	// the client's mistake, answered like every other bad channel name.
	router.use((error: unknown, _req: Request, res: Response, next: (error?: unknown) => void) => {
		if (!(error instanceof URIError) || res.headersSent) return next(error);
		const answer = errorAnswer(new RealtimeError('INVALID_CHANNEL_NAME', 'the channel name in the path is not valid percent-encoding'));
		res.status(answer.status).json(answer.body);
	});
}
