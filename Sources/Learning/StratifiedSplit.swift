// StratifiedSplit: reproducible train/test split that keeps each class's share, for evaluation and early stopping.
import Basics

/// Row indices of a train/test split (both ascending).
public struct StratifiedSplit: Sendable, Equatable, Codable {
    public let train: [Int]
    public let test: [Int]

    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }

    /// Shuffles each class with `SplitMix64(seed)` and puts `round(testFraction · classCount)` of it in test
    /// (at least one per class when the class has two or more rows). Same labels and seed ⇒ same split.
    public static func make(labels: [Double], testFraction: Double, seed: UInt64) throws(LearningError) -> StratifiedSplit {
        guard testFraction > 0, testFraction < 1 else {
            throw .invalidParameter(name: "testFraction", reason: "must be in (0, 1), got \(testFraction)")
        }
        guard !labels.isEmpty else { throw .emptyData(context: "StratifiedSplit") }
        var rng = SplitMix64(seed: seed)
        var train: [Int] = [], test: [Int] = []
        var classes: [Double: [Int]] = [:]
        for (i, y) in labels.enumerated() { classes[y, default: []].append(i) }
        for key in classes.keys.sorted() {
            guard var members = classes[key] else { continue }
            rng.shuffle(&members)
            var take = Int((Double(members.count) * testFraction).rounded())
            if members.count >= 2 { take = min(max(take, 1), members.count - 1) }
            test.append(contentsOf: members.prefix(take))
            train.append(contentsOf: members.dropFirst(take))
        }
        return StratifiedSplit(train: train.sorted(), test: test.sorted())
    }
}
