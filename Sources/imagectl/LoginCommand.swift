import ArgumentParser
import Foundation
import Pipeline
import Registry
import Release

struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check credentials against a registry, then store them as docker login does.",
        discussion: "echo \"$GITHUB_TOKEN\" | imagectl login ghcr.io -u USER --password-stdin")

    @Argument(help: "The registry host, as ghcr.io or 127.0.0.1:5000.")
    var registry: String

    @Option(name: .shortAndLong, help: "The user name.")
    var username: String

    @Flag(name: .customLong("password-stdin"), help: "Read the password or token from standard input.")
    var passwordStdin = false

    @Option(name: .shortAndLong, help: .hidden)
    var password: String?

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            guard password == nil else {
                throw ValidationError("a password on the command line ends up in shell history and process lists; pipe it instead: ... | imagectl login \(registry) -u \(username) --password-stdin")
            }
            guard passwordStdin else { throw ValidationError("pass the password on standard input with --password-stdin") }
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let secret = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .newlines)
            guard !secret.isEmpty else { throw ValidationError("no password was given on standard input") }
            GitHubActions().mask(secret)
            _ = try Pipeline.login(registry, Credential(username: username, secret: secret), options: try registryFlags.options())
            print("Login Succeeded")
        }
    }
}

struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Remove stored credentials for a registry.")

    @Argument(help: "The registry host.")
    var registry: String

    func run() throws {
        try guarded {
            let (host, removed) = try Pipeline.logout(registry)
            print(removed ? "Removed login credentials for \(host)" : "Not logged in to \(host)")
        }
    }
}
