import Foundation

if CommandLine.arguments.contains("--micro") {
    try Micro.run()
}
