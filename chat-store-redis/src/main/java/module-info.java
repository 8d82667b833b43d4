/**
 * Parley's shared store: a {@link org.parley.core.MessageStore} in Redis, so that several
 * servers serve one set of channels with one numbering and one history.
 */
// Jedis ships no module descriptor; its jar names its module (Automatic-Module-Name), so the
// name is stable.
@SuppressWarnings("requires-automatic")
module org.parley.store.redis {
    requires transitive org.parley.core;
    requires redis.clients.jedis;
    requires org.slf4j;

    exports org.parley.store.redis;
}
