import ArgumentParser
import Foundation
import PrivateInference

/// `privdnn owner user`: the users of the owner's service (`privdnn-owner serve`), kept in the key store.
struct OwnerUserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the users of the owner's service (API tokens and budgets).",
        subcommands: [OwnerUserAddCommand.self, OwnerUserListCommand.self, OwnerUserRevokeCommand.self])
}

/// `privdnn owner user add`: prints the new token as its last line (scripts read it); only its hash is kept.
struct OwnerUserAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a user; print their new API token (shown once) as the last line.")

    @Option(help: "The owner's key store.") var keys: String
    @Option(help: "The user's name (A-Z a-z 0-9 . _ -, at most 64).") var name: String
    @Option(help: "Ciphertexts the user may have decrypted, on top of each package key's bound.")
    var budget = UserStore.defaultBudget
    @Option(help: "A package ID the user may decrypt for (repeatable; default: every package).")
    var package: [String] = []

    func run() throws {
        let token = try InferenceSupport.run {
            try UserStore.add(
                keys: URL(fileURLWithPath: keys), name: name, budget: budget, packages: package.isEmpty ? nil : package)
        }
        print(
            "added user \(name) (budget \(budget) ciphertexts\(package.isEmpty ? "" : ", packages " + package.joined(separator: ","))); their API token:"
        )
        print(token)
    }
}

/// `privdnn owner user list`.
struct OwnerUserListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the users and their counts.")

    @Option(help: "The owner's key store.") var keys: String
    @Flag(help: "Print one JSON array.") var json = false

    func run() throws {
        let users = try InferenceSupport.run { try UserStore.list(keys: URL(fileURLWithPath: keys)) }
        if json {
            let objects: [[String: Any]] = users.map {
                [
                    "name": $0.name, "budget": $0.budget, "decrypted": $0.decrypted, "revoked": $0.revoked,
                    "packages": $0.packages ?? NSNull(),
                ]
            }
            print(try JSONOutput.text(object: objects))
            return
        }
        for user in users {
            print(
                "\(user.name)\t\(user.decrypted)/\(user.budget)\t\(user.revoked ? "revoked" : "active")\t"
                    + (user.packages?.joined(separator: ",") ?? "*"))
        }
    }
}

/// `privdnn owner user revoke`.
struct OwnerUserRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a user's token (the service refuses it from its next request).")

    @Option(help: "The owner's key store.") var keys: String
    @Option(help: "The user's name.") var name: String

    func run() throws {
        try InferenceSupport.run { try UserStore.revoke(keys: URL(fileURLWithPath: keys), name: name) }
        print("revoked user \(name)")
    }
}
