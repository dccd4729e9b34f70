/** What every route handler is: a function of the request's caller and the request, answering with a JSON body or a RealtimeError. */
import type { Request } from 'express';
import type { Knex } from 'knex';
import type { ActionEmitter, CallerServices, RealtimeRuntime } from '@directus-realtime/shared';
import type { Caller } from '../request-caller.js';

export type Handler = (caller: Caller, req: Request) => Promise<unknown>;

export interface RouteDeps {
	runtime: RealtimeRuntime;
	services: CallerServices;
	database: Knex;
	getSchema: () => Promise<unknown>;
	logger: { info(m: string): void; warn(m: string): void; error(m: string): void };
	/** Directus' event emitter: webhooks become its actions. */
	emitter: Promise<ActionEmitter>;
}
