extension InferenceReport {
    /// The reports of consecutive slices of one run's images (in order) as the report of the whole run.
    ///
    /// Accuracies and agreement are recounted from the joined predictions, so they equal a one-process run's; the
    /// largest logit difference of any slice; wall and CPU times, phases and bytes sent summed; peak memory, package
    /// size and chunks per request the largest slice's. The packing is the first slice's (all slices of a run share
    /// it).
    public init(combining reports: [InferenceReport]) {
        let predictions = reports.map(\.predictions).reduce(ImagePredictions()) { $0.appending($1) }
        var phases = PhaseTimes()
        for report in reports { phases.merge(report.phases) }
        func sum<T: AdditiveArithmetic>(_ field: KeyPath<InferenceReport, T>) -> T {
            reports.map { $0[keyPath: field] }.reduce(.zero, +)
        }
        func largest<T: Comparable & AdditiveArithmetic>(_ field: KeyPath<InferenceReport, T>) -> T {
            reports.map { $0[keyPath: field] }.max() ?? .zero
        }
        self.init(
            images: predictions.count, accuracyPlain: predictions.accuracyPlain,
            accuracySeparate: predictions.accuracySeparate, accuracyEncrypted: predictions.accuracyEncrypted,
            agreement: predictions.agreement, maxLogitDifference: largest(\.maxLogitDifference), phases: phases,
            secondsTotal: sum(\.secondsTotal), peakRSSBytes: largest(\.peakRSSBytes),
            packageBytes: largest(\.packageBytes), requestBytes: sum(\.requestBytes),
            responseBytes: sum(\.responseBytes), chunks: largest(\.chunks), packing: reports.first?.packing ?? .batch,
            secondsPackage: sum(\.secondsPackage), cpuSeconds: sum(\.cpuSeconds), predictions: predictions)
    }
}
