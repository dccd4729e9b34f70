/**
 * The bundle's hook: creates the channels table on first start, gates the auth routes before
 * Directus reads a body, guards the channel rows, and hands items events to the item-event publisher.
 */
import type { HookConfig } from '@directus/types';
import { closestVariable, ItemsEventPublisher, loadDirectusCors, realtimeEnv, realtimeRuntime, redactItem, scriptValidation, unknownVariables, type SchemaLike } from '@directus-realtime/shared';
import { authBodyGate } from './auth-gate.js';
import { registerChannelCollectionHooks } from './channel-rows.js';
import { allowedByDirectus } from './delete-access.js';
import { loadedCopies, secondCopy } from './installed-twice.js';
import { eventReaders } from './item-reader.js';
import { registerPermissionChangeHooks } from './permission-changes.js';
import { registerPublisherHooks } from './publisher.js';
import { directusBusPeers } from './row-announcements.js';
import { socketIdMiddleware } from './request-context.js';
import { stopServerStart } from './startup.js';
import { ensureChannelsTable } from './table-on-start.js';
import { registerUserCutOffHooks } from './user-cutoff.js';
import { webhookGate } from './webhook-gate.js';

const hook: HookConfig = ({ filter, action, init }, { env, database, logger, services, getSchema }) => {
	let runtime;
	try {
		runtime = realtimeRuntime({ env, database, logger });
	} catch (error) {
		stopServerStart(init, logger, 'realtime-hooks', error as Error);
		return;
	}
	const { config, registry, scripts, reads } = runtime;
	const counters = runtime.webhooks;
	for (const name of unknownVariables(realtimeEnv(env))) {
		const meant = closestVariable(name);
		logger.warn(`realtime: ${name} is not a setting of this extension${meant ? ` (did you mean ${meant}?)` : ''}; it is ignored`);
	}

	// Row changes announced between instances over Directus' bus when it runs with Redis.
	const peers = directusBusPeers({ warn: (m) => logger.warn(m) }).then(
		(found) => {
			if (found) registry.connect(found);
		},
		(error: Error) => logger.warn(`realtime: Directus' bus could not be joined: ${error.message}`),
	);

	// A second copy of the bundle (see installed-twice.ts) keeps its publisher hooks quiet.
	let quiet = false;
	const once = {
		filter: ((event: string, handler: (...args: any[]) => unknown) =>
			filter(event, (...args: any[]) => (quiet ? args[0] : handler(...args)))) as typeof filter,
		action: ((event: string, handler: (...args: any[]) => unknown) =>
			action(event, (...args: any[]) => (quiet ? undefined : handler(...args)))) as typeof action,
	};

	init('app.before', async () => {
		const twice = secondCopy(await loadedCopies());
		if (twice) {
			quiet = true;
			logger.warn(twice);
		}
		try {
			// Added columns come with their defaults: rows read by running instances may have changed.
			if (await ensureChannelsTable(database, { preset: !config.dontPreset }, logger, () => getSchema())) {
				await peers;
				registry.changed();
			}
		} catch (error) {
			(logger.fatal ?? logger.error).call(logger, `realtime-hooks: cannot start: ${(error as Error).message}`);
			process.exit(1);
		}
	});

	init('middlewares.before', async ({ app }) => {
		const cors = await loadDirectusCors();
		// Before Directus parses any body: anonymous and oversized auth requests stop here.
		app.use(
			authBodyGate({
				publicUrl: env.PUBLIC_URL as string | undefined,
				sessionCookieName: String(env.SESSION_COOKIE_NAME ?? 'directus_session_token'),
				cors,
			}),
		);
		// Webhooks are signed over their raw bytes: verified here, before any body parser.
		app.use(
			webhookGate({
				publicUrl: env.PUBLIC_URL as string | undefined,
				app: { key: config.pusher.key, secret: config.pusher.secret },
				cors,
				onRefused: () => counters.refused++,
			}),
		);
	});

	// After Directus' authentication: the request's accountability exists, and the events of the
	// writes it makes carry it (request-context.ts).
	init('middlewares.after', ({ app }) => {
		app.use(socketIdMiddleware);
	});

	// The outbox's sender, one per server (docs/delivery.md, the outbox): it starts with the
	// server and stops with it; what it leaves pending another instance takes over.
	once.action('server.start', () => void runtime.outbox?.start());
	once.action('server.stop', () => void runtime.outbox?.stop());

	registerUserCutOffHooks({ action }, { pusher: runtime.pusher, log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) } });
	registerPermissionChangeHooks({ action }, runtime.clientEvents.senders);

	registerChannelCollectionHooks({ filter, action }, { registry, validation: (schema) => scriptValidation(scripts.publishers, schema) });

	registerPublisherHooks(
		once,
		new ItemsEventPublisher({
			registry,
			scripts: scripts.publishers,
			readerFor: eventReaders(services, () => getSchema(), reads),
			redact: (context, collection, item) => redactItem(context.schema as SchemaLike, collection, item),
			// The system (no accountability) and admins may; others as Directus' own check says.
			mayDelete: async (context, collection, keys) => {
				const accountability = context.accountability as { admin?: boolean } | null | undefined;
				if (!accountability || accountability.admin === true) return true;
				return allowedByDirectus({ accountability, action: 'delete', collection, keys }, { schema: context.schema, knex: context.database as never }, (m) => logger.warn(m));
			},
			enqueue: (event) => runtime.publish(event),
			observer: runtime.observer,
			...runtime.capabilities,
			...runtime.limits,
			log: { warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
		}),
	);
};

export default hook;
