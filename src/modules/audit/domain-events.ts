import {
  MikroORM,
  RequestContext as OrmRequestContext,
  TransactionContext,
  type EventSubscriber,
  type TransactionEventArgs,
} from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { RequestContext } from '../../common/http/request-context';
import type { AuditEventType } from './audit.constants';
import type { AuditInput } from './audit.service';

/** What happened, as audited, and the request it happened in. */
export interface DomainEvent<T extends AuditEventType = AuditEventType> {
  event: AuditInput & { type: T };
  ctx?: Partial<RequestContext>;
}

export type DomainEventListener<T extends AuditEventType> = (event: DomainEvent<T>) => Promise<void> | void;

/**
 * In-process listeners of audited events (metrics, security notices, and next outbound
 * webhooks), so a flow says what happened once instead of calling every interested module.
 * A listener runs only once the event's transaction committed (at once for an event written
 * outside one): a rolled-back sign-in sends no notice and counts no success. Listeners are
 * best effort: the action already happened, so a failing listener is logged, never rethrown.
 */
@Injectable()
export class DomainEvents implements OnModuleInit, EventSubscriber {
  private readonly logger = new Logger(DomainEvents.name);
  private readonly listeners = new Map<AuditEventType, Array<DomainEventListener<AuditEventType>>>();
  /** Events written in a transaction, waiting for its commit; keyed by the root transaction. */
  private readonly pending = new WeakMap<object, DomainEvent[]>();
  /** A savepoint's enclosing transaction. MikroORM 7 commits savepoints with the same hook as roots. */
  private readonly parentOf = new WeakMap<object, object>();
  /** The transaction a fork is opening a savepoint in, between the start events that bracket it. */
  private readonly openingIn = new WeakMap<object, object>();

  constructor(private readonly orm: MikroORM) {}

  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  on<T extends AuditEventType>(type: T, listener: DomainEventListener<T>): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener as DomainEventListener<AuditEventType>);
    this.listeners.set(type, list);
  }

  /** Called by AuditService once the event's row is written with `em`. */
  async written(event: DomainEvent, em: EntityManager): Promise<void> {
    if (!this.listeners.has(event.event.type)) return;
    const transaction = em.isInTransaction() ? this.rootOf(em.getTransactionContext<object>()) : undefined;
    if (!transaction) return this.dispatch([event]);
    const queued = this.pending.get(transaction);
    if (queued) queued.push(event);
    else this.pending.set(transaction, [event]);
  }

  // A nested transactional() opens a savepoint: its start events come from the nested fork, the
  // first carrying the enclosing transaction, the second the savepoint.
  beforeTransactionStart(args: TransactionEventArgs): void {
    if (args.transaction) this.openingIn.set(args.em, args.transaction as object);
  }

  afterTransactionStart(args: TransactionEventArgs): void {
    const parent = this.openingIn.get(args.em);
    if (!parent || !args.transaction) return;
    this.openingIn.delete(args.em);
    this.parentOf.set(args.transaction as object, parent);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const events = args.transaction ? this.pending.get(args.transaction as object) : undefined;
    if (!events) return;
    this.pending.delete(args.transaction as object);
    // The commit hook still runs in the finished transaction's context: listeners get the
    // request's EntityManager back (or a fork outside a request), as after transactional().
    const em = OrmRequestContext.getEntityManager() ?? this.orm.em.fork();
    await TransactionContext.create(em, () => this.dispatch(events));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction) this.pending.delete(args.transaction as object);
  }

  /** Events written in a savepoint wait for the root transaction's commit. */
  private rootOf(transaction: object | undefined): object | undefined {
    let current = transaction;
    while (current) {
      const parent = this.parentOf.get(current);
      if (!parent) return current;
      current = parent;
    }
    return current;
  }

  private async dispatch(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      for (const listener of this.listeners.get(event.event.type) ?? []) {
        try {
          await listener(event);
        } catch (error) {
          this.logger.warn({
            msg: 'domain event listener failed',
            type: event.event.type,
            requestId: event.ctx?.requestId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
  }
}
