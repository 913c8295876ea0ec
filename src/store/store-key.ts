/** The key under which a store object (`sqliteStorage(db)`) keeps what `openQueue` calls. */
export const OPEN_STORE: unique symbol = Symbol.for('jobrail.store');
