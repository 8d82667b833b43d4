/**
 * Programs built on Parley's public API alone: what a library user can write.
 */
module org.parley.examples {
    requires org.parley.zmq;
    requires org.parley.tcp;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
}
