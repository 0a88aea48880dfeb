/// At most `capacity` decryptions at a time: each one already uses every core (the workers of
/// `OwnerRole.decryptChunk`) and holds a chunk and its response in memory, so more in parallel would only add
/// memory, and the server's memory stays bounded whatever the number of users. Waiters are served in order.
actor DecryptionSlots {
    private let capacity: Int
    private var busy = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Slots for `capacity` concurrent decryptions (at least one).
    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Waits for a free slot.
    func acquire() async {
        if busy < capacity {
            busy += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Frees a slot, handing it to the first waiter if any.
    func release() {
        if waiters.isEmpty {
            busy -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
