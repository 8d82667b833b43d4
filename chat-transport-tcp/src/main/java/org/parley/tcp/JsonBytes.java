package org.parley.tcp;

/**
 * One complete JSON object as it arrived: {@code array[from..to)}, from its opening brace to
 * its closing one. The bytes are lent: valid during the call that hands them over, unless the
 * lender says otherwise.
 *
 * <p>Thread safety: as the array it points into.
 *
 * @param array the bytes (a read buffer, or the buffer an object cut between reads was kept in)
 * @param from  the index of the opening brace
 * @param to    the index just past the closing brace
 */
record JsonBytes(byte[] array, int from, int to) {
    int length() {
        return to - from;
    }
}
