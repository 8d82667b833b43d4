/**
 * Parley's durable store: a {@link org.parley.core.MessageStore} in one SQLite file.
 */
module org.parley.store.sqlite {
    requires transitive org.parley.core;
    requires java.sql;
    requires org.xerial.sqlitejdbc;
    requires org.slf4j;

    exports org.parley.store.sqlite;
}
