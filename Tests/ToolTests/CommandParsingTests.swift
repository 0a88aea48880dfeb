import Testing

@testable import Tool

@Test func rootCommandName() {
    #expect(PrivDNNCommand.configuration.commandName == "privdnn")
}
