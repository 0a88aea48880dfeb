import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real `privdnn` binary run as a child process: its exit status, output and peak memory, or killed with
/// SIGKILL after a chosen delay.
struct ChildProcess {
    /// How a run ended.
    struct Outcome {
        /// The exit code, or nil when a signal ended it.
        var exitCode: Int32?
        /// The signal that ended it.
        var signal: Int32?
        var stdout: String
        var stderr: String
        /// Peak resident memory in bytes (`ru_maxrss`).
        var maxResidentBytes: Int
        /// Wall time in seconds.
        var seconds: Double
    }

    /// `privdnn` beside the test bundle (`.build/<configuration>/privdnn`), else under the repository's
    /// `.build/release`.
    static let binary: String = {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("privdnn"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "privdnn"),
            RepositoryPaths.root.appendingPathComponent(".build/release/privdnn"),
        ]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return (found ?? candidates[2]).path
    }()

    /// Runs `privdnn arguments` (absolute paths; `directory` holds its captured output); with `killAfter`,
    /// sends SIGKILL after that many seconds unless it ended before.
    static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], killAfter: Double? = nil
    ) throws -> Outcome {
        let out = directory.appendingPathComponent(".child-\(UUID().uuidString).out").path
        let err = directory.appendingPathComponent(".child-\(UUID().uuidString).err").path
        defer {
            unlink(out)
            unlink(err)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw ChildProcessError("cannot run \(binary): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        if let killAfter {
            let deadline = start.addingTimeInterval(killAfter)
            while Date() < deadline {
                if wait4(pid, &status, WNOHANG, &usage) == pid { return outcome(status, usage, start, out, err) }
                usleep(2_000)
            }
            kill(pid, SIGKILL)
        }
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return outcome(status, usage, start, out, err)
    }

    private static func outcome(_ status: Int32, _ usage: rusage, _ start: Date, _ out: String, _ err: String)
        -> Outcome
    {
        let signaled = status & 0x7f != 0 && status & 0x7f != 0x7f
        return Outcome(
            exitCode: signaled ? nil : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
            maxResidentBytes: usage.ru_maxrss * 1024, seconds: Date().timeIntervalSince(start))
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
