/// Builders of the five layer graphs, with PyTorch state-dict names.
enum Networks {
    static func build(
        _ architecture: Architecture, hidden: HiddenActivation = .relu, generator g: inout Xoshiro256
    ) -> Sequential {
        switch architecture {
        case .lenet5MNIST: lenet5(c1: 6, c2: 16, classes: 10, hidden: hidden, &g)
        case .lenet5EMNIST: lenet5(c1: 10, c2: 20, classes: 27, hidden: hidden, &g)
        case .alexNetGTSRB: alexNet(&g)
        case .vgg16CIFAR10: vgg16(&g)
        case .resNet18TinyImageNet: resNet18(&g)
        }
    }

    /// Spec §3.1/§3.2: Square comes after the pooling; `hidden` follows fc1 and fc2 (ReLU, or Square for the
    /// `_cpp` full-encryption checkpoint).
    static func lenet5(c1: Int, c2: Int, classes: Int, hidden: HiddenActivation, _ g: inout Xoshiro256) -> Sequential {
        Sequential([
            ("conv1", Conv2d(1, c1, kernelSize: 5, generator: &g)),
            (nil, AvgPool2d(2)), (nil, Square()),
            ("conv2", Conv2d(c1, c2, kernelSize: 5, generator: &g)),
            (nil, AvgPool2d(2)), (nil, Square()),
            (nil, Flatten()),
            ("fc1", Linear(c2 * 16, 120, generator: &g)), (nil, hidden.layer()),
            ("fc2", Linear(120, 84, generator: &g)), (nil, hidden.layer()),
            ("fc3", Linear(84, classes, generator: &g)),
        ])
    }

    /// Spec §3.3.
    static func alexNet(_ g: inout Xoshiro256) -> Sequential {
        Sequential([
            ("conv1", Conv2d(3, 96, kernelSize: 5, padding: 1, generator: &g)),
            (nil, AvgPool2d(2)), (nil, Square()),
            ("conv2", Conv2d(96, 256, kernelSize: 3, padding: 1, generator: &g)),
            ("bn2", BatchNorm2d(256)), (nil, ReLU()), (nil, MaxPool2d(2)),
            ("conv3", Conv2d(256, 384, kernelSize: 3, padding: 1, generator: &g)), (nil, ReLU()),
            ("conv4", Conv2d(384, 384, kernelSize: 3, padding: 1, generator: &g)), (nil, ReLU()),
            ("conv5", Conv2d(384, 256, kernelSize: 3, padding: 1, generator: &g)), (nil, ReLU()),
            (nil, MaxPool2d(2)), (nil, Flatten()),
            ("fc1", Linear(2304, 512, generator: &g)), (nil, ReLU()), (nil, Dropout(0.5, generator: &g)),
            ("fc2", Linear(512, 128, generator: &g)), (nil, ReLU()), (nil, Dropout(0.5, generator: &g)),
            ("fc3", Linear(128, 43, generator: &g)),
        ])
    }

    /// Spec §3.4: conv1 → Square (no BN), conv2 → obscure depthwise convs → BN → ReLU → MaxPool, then VGG-16.
    static func vgg16(_ g: inout Xoshiro256) -> Sequential {
        var entries: [(String?, any Layer)] = [
            ("conv1", Conv2d(3, 64, kernelSize: 3, padding: 1, generator: &g)), (nil, Square()),
            ("conv2", Conv2d(64, 64, kernelSize: 3, padding: 1, generator: &g)),
            ("conv2_obscure", DepthwiseConv2d(64, kernelSize: 3, padding: 1, generator: &g)),
            ("bn2", BatchNorm2d(64)), (nil, ReLU()), (nil, MaxPool2d(2)),
        ]
        // (index, in, out, pool after)
        let plan: [(Int, Int, Int, Bool)] = [
            (3, 64, 128, false), (4, 128, 128, true),
            (5, 128, 256, false), (6, 256, 256, false), (7, 256, 256, true),
            (8, 256, 512, false), (9, 512, 512, false), (10, 512, 512, true),
            (11, 512, 512, false), (12, 512, 512, false), (13, 512, 512, true),
        ]
        for (index, cin, cout, pool) in plan {
            entries.append(("conv\(index)", Conv2d(cin, cout, kernelSize: 3, padding: 1, generator: &g)))
            entries.append(("bn\(index)", BatchNorm2d(cout)))
            entries.append((nil, ReLU()))
            if pool { entries.append((nil, MaxPool2d(2))) }
        }
        entries += [
            (nil, Flatten()),
            ("fc1", Linear(512, 512, generator: &g)), (nil, ReLU()), (nil, Dropout(0.5, generator: &g)),
            ("fc2", Linear(512, 512, generator: &g)), (nil, ReLU()), (nil, Dropout(0.5, generator: &g)),
            ("fc3", Linear(512, 10, generator: &g)),
        ]
        return Sequential(entries)
    }

    /// Spec §3.5: conv1 (no bias) → BN1 → Square, one residual block (conv2/conv3, 1×1 projection shortcut, no
    /// ReLU after the add), three stages of two BasicBlocks (128/256/512, first stride 2), avg-pool 4, FC 2048→200.
    static func resNet18(_ g: inout Xoshiro256) -> Sequential {
        let stem = Residual(
            main: Sequential([
                ("conv2", Conv2d(64, 64, kernelSize: 3, padding: 1, bias: false, generator: &g)),
                ("bn2", BatchNorm2d(64)), (nil, ReLU()),
                ("conv3", Conv2d(64, 64, kernelSize: 3, padding: 1, bias: false, generator: &g)),
                ("bn3", BatchNorm2d(64)),
            ]),
            shortcut: Sequential([
                ("0", Conv2d(64, 64, kernelSize: 1, bias: false, generator: &g)), ("1", BatchNorm2d(64)),
            ]),
            reluAfterAdd: false)
        var entries: [(String?, any Layer)] = [
            ("conv1", Conv2d(3, 64, kernelSize: 3, padding: 1, bias: false, generator: &g)),
            ("bn1", BatchNorm2d(64)), (nil, Square()),
            (nil, stem),
        ]
        var channels = 64
        for (stage, width) in [(2, 128), (3, 256), (4, 512)] {
            let first = basicBlock(channels, width, stride: 2, &g)
            let second = basicBlock(width, width, stride: 1, &g)
            entries.append(("layer\(stage)", Sequential([("0", first), ("1", second)])))
            channels = width
        }
        entries += [(nil, AvgPool2d(4)), (nil, Flatten()), ("fc", Linear(2048, 200, generator: &g))]
        return Sequential(entries)
    }

    static func basicBlock(_ cin: Int, _ cout: Int, stride: Int, _ g: inout Xoshiro256) -> Residual {
        let main = Sequential([
            ("conv1", Conv2d(cin, cout, kernelSize: 3, stride: stride, padding: 1, bias: false, generator: &g)),
            ("bn1", BatchNorm2d(cout)), (nil, ReLU()),
            ("conv2", Conv2d(cout, cout, kernelSize: 3, padding: 1, bias: false, generator: &g)),
            ("bn2", BatchNorm2d(cout)),
        ])
        let shortcut: Sequential? =
            stride == 1 && cin == cout
            ? nil
            : Sequential([
                ("0", Conv2d(cin, cout, kernelSize: 1, stride: stride, bias: false, generator: &g)),
                ("1", BatchNorm2d(cout)),
            ])
        return Residual(main: main, shortcut: shortcut, reluAfterAdd: true)
    }
}
