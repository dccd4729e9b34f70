/**
 * A stack and the named users a suite acts as, made in one call: what most integration suites
 * start with (`startStack`, then `createUser` for each person of the story).
 *
 *   ({ stack, users: { ada, bob } } = await startStackWithUsers({ users: { ada: { first_name: 'Ada' }, bob: {} } }));
 *
 * The users are made in the order given, after `prepare` (for the collections their grants
 * name). If anything fails on the way, the stack is stopped before the error is passed on, so a
 * broken `before` leaves no Directus or Soketi running.
 */
import type { Directus } from './directus.js';
import { createUser, type TestUser } from './fixtures.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

/** What `createUser` takes: a first name, whole-collection grants, admin access. */
export type UserOptions = NonNullable<Parameters<typeof createUser>[1]>;

export interface StackWithUsersOptions<N extends string> extends StackOptions {
	users: Record<N, UserOptions>;
	/** Runs on the fresh stack before the users are made, e.g. the collections their grants name. */
	prepare?: (directus: Directus) => Promise<void>;
}

export async function startStackWithUsers<N extends string>(options: StackWithUsersOptions<N>): Promise<{ stack: Stack; users: Record<N, TestUser> }> {
	const { users: wanted, prepare, ...stackOptions } = options;
	const stack = await startStack(stackOptions);
	try {
		await prepare?.(stack.directus);
		const users = {} as Record<N, TestUser>;
		for (const name of Object.keys(wanted) as N[]) users[name] = await createUser(stack.directus, wanted[name]);
		return { stack, users };
	} catch (error) {
		await stack.stop();
		throw error;
	}
}
