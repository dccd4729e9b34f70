/**
 * The endpoint's routes: a table of route -> handler (one module each under routes/). Each
 * request gets its caller built once (caller.ts), its handler's answer as JSON, and a
 * RealtimeError as its HTTP answer (http-errors.ts in shared).
 */
import type { Router, Request, Response } from 'express';
import { errorAnswer, readUserRow, RealtimeError } from '@directus-realtime/shared';
import { callers } from './request-caller.js';
import { channelAuthRoute } from './routes/auth-route.js';
import { channelMembersRoute, occupiedChannelsRoute } from './routes/channels-route.js';
import { dryRunRoute } from './routes/dry-run-route.js';
import type { Handler, RouteDeps } from './routes/handler.js';
import { healthRoute } from './routes/health-route.js';
import { channelHistoryRoute } from './routes/history-route.js';
import { tailRoute } from './routes/tail-route.js';
import { userAuthRoute } from './routes/user-auth-route.js';
import { webhookRoute } from './routes/webhook-route.js';

const ROUTES: ReadonlyArray<readonly ['get' | 'post', string, (deps: RouteDeps) => Handler]> = [
	['post', '/auth', channelAuthRoute],
	['post', '/user-auth', userAuthRoute],
	['post', '/webhook', webhookRoute],
	['get', '/channels', occupiedChannelsRoute],
	['get', '/channels/:name/users', channelMembersRoute],
	['get', '/channels/:name/history', channelHistoryRoute],
	['get', '/health', healthRoute],
	['get', '/tail', tailRoute],
	['post', '/dry-run', dryRunRoute],
];

export function registerRoutes(router: Router, deps: RouteDeps): void {
	const callerOf = callers({ database: deps.database, getSchema: deps.getSchema, readUser: (schema, id, withAliases) => readUserRow(deps.services, schema, id, withAliases), log: deps.logger });
	for (const [method, path, route] of ROUTES) {
		const handler = route(deps);
		router[method](path, (req: Request, res: Response) => {
			handler(callerOf(req), req).then(
				(body) => {
					res.status(200).json(body);
				},
				(error) => {
					const answer = errorAnswer(error);
					if (answer.status >= 500 && answer.status !== 501) deps.logger.error(`realtime: endpoint failed: ${(error as Error).message}`);
					res.status(answer.status).json(answer.body);
				},
			);
		});
	}

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
