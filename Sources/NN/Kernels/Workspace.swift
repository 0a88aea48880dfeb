/// Grow-only scratch memory reused across calls, so a layer's hot loops do not allocate, zero and fault in fresh
/// pages on every batch.
///
/// Contents are uninitialised: each user writes before it reads.
///
/// A layer keeps one workspace per (role, worker chunk); chunks never share one, and a layer runs one pass at a
/// time (see ``Model``), hence `@unchecked Sendable`.
final class Workspace: @unchecked Sendable {
    private var pointer: UnsafeMutablePointer<Float>
    private var capacity: Int

    init() {
        pointer = .allocate(capacity: 1)
        capacity = 1
    }

    deinit { pointer.deallocate() }

    /// At least `count` floats (their previous contents are unspecified).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            pointer = .allocate(capacity: count)
            capacity = count
        }
        return pointer
    }
}

/// Workspaces by role and chunk index, created on first use.
final class WorkspaceSet: @unchecked Sendable {
    private var spaces: [[Workspace]]

    /// - Parameter roles: how many distinct buffers each chunk needs.
    init(roles: Int) {
        spaces = Array(repeating: [], count: roles)
    }

    /// Pointers to `count` floats for role `role`, one per chunk `0..<chunks`.
    func reserve(role: Int, chunks: Int, count: Int) -> [UnsafeMutablePointer<Float>] {
        while spaces[role].count < chunks { spaces[role].append(Workspace()) }
        return (0..<chunks).map { spaces[role][$0].reserve(count) }
    }
}
