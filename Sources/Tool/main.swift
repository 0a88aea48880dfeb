import PrivateInference

ProcessMemory.useOneHeap()
PrivDNNCommand.main()
