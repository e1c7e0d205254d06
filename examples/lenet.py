"""LeNet from the 60-minute blitz (seed 001), trained on MNIST digits padded to 32x32.

The network is the blitz's ``Net`` unchanged (3x3 convolutions, so a
32x32 input ends as 16 maps of 6x6).  The blitz trains it with
``optim.SGD`` on a dummy ``MSELoss`` target; on digits the loop is the
blitz's "Training a classifier" loop: ``nn.CrossEntropyLoss``, SGD with
momentum 0.9, mini-batches of 4 from a ``DataLoader``::

    python examples/lenet.py --framework torch --epochs 1
"""
from __future__ import annotations

import sys

import numpy as np

if __package__:                 # loaded by `python -m minigrad` or the tests
    from . import common
else:                           # run as a script
    import common


def describe(args):
    return (f"LeNet (blitz Net) on 32x32 digits, {common.plural(args.epochs, 'epoch')} of batch {args.bs}, "
            f"SGD lr {args.lr}, momentum 0.9, CrossEntropyLoss")


def parser():
    return common.parser(__doc__.splitlines()[0], epochs=2, lr=0.01, bs=4)


def pad32(x):
    """Rows of 784 pixels -> images (N, 1, 32, 32): the 28x28 digit with a border of 2 zeros, as LeNet's input."""
    return np.pad(x.reshape(-1, 1, 28, 28), ((0, 0), (0, 0), (2, 2), (2, 2)))


def train(torch, data, args, rec):
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    TensorDataset = torch.utils.data.TensorDataset
    DataLoader = torch.utils.data.DataLoader

    class Net(nn.Module):

        def __init__(self):
            super(Net, self).__init__()
            # 1 input image channel, 6 output channels, 3x3 square convolution
            # kernel
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            # an affine operation: y = Wx + b
            self.fc1 = nn.Linear(16 * 6 * 6, 120)  # 6*6 from image dimension
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            # Max pooling over a (2, 2) window
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            # If the size is a square you can only specify a single number
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, self.num_flat_features(x))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

        def num_flat_features(self, x):
            size = x.size()[1:]  # all dimensions except the batch dimension
            num_features = 1
            for s in size:
                num_features *= s
            return num_features

    net = Net()
    rec.watch(dict(net.named_parameters()))

    x_train, x_valid = torch.tensor(pad32(data.x_train)), torch.tensor(pad32(data.x_valid))
    trainset = TensorDataset(x_train, torch.tensor(data.y_train))
    trainloader = DataLoader(trainset, batch_size=args.bs, shuffle=True)

    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)

    for epoch in range(args.epochs):  # loop over the dataset multiple times

        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            rec.step(loss, outputs, labels)

            # print statistics
            running_loss += loss.item()
            if i % 200 == 199:    # print every 200 mini-batches
                rec.log('[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / 200))
                running_loss = 0.0

    rec.log('Finished Training')
    return dict(predict=net, x_train=x_train, x_valid=x_valid, params=dict(net.named_parameters()), model=net)


def main(argv=None):
    return common.main(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
