"""The MNIST classifier of "Make Your First GAN With PyTorch" (seed 004), trained one digit at a time.

A 784-200-10 network of ``nn.Sequential`` inside a ``Classifier`` that owns
its loss function and optimiser and overrides ``train(inputs, targets)``;
the dataset yields ``(label, image, one-hot target)`` for each row.  The
write-up's refinements are ``--variant``s, each one change to the first
network (sigmoids, ``MSELoss``, ``SGD(lr=0.01)``):

* ``mse``: the first network;
* ``bce``: ``nn.BCELoss()`` instead of ``MSELoss``;
* ``leaky_layernorm``: ``LeakyReLU(0.02)`` activations and a ``LayerNorm(200)``;
* ``adam``: ``torch.optim.Adam(self.parameters())`` instead of SGD.

::

    python examples/gan_classifier.py --variant leaky_layernorm --framework torch
"""
from __future__ import annotations

import sys

import numpy as np

if __package__:                 # loaded by `python -m minigrad` or the tests
    from . import common
else:                           # run as a script
    import common

VARIANTS = ("mse", "bce", "leaky_layernorm", "adam")


def describe(args):
    lr = (0.001 if args.variant == "adam" else 0.01) if args.lr is None else args.lr
    opt = "Adam" if args.variant == "adam" else "SGD"
    return (f"GAN-book classifier, variant {args.variant}, {common.plural(args.epochs, 'epoch')} of single "
            f"digits, {opt} lr {lr}")


def parser():
    p = common.parser(__doc__.splitlines()[0], epochs=3, lr=None, bs=1)
    p.add_argument("--variant", choices=VARIANTS, default="mse",
                   help="the write-up's refinement to train (default mse, the first network)")
    return p


def csv_rows(x, y):
    """The book's CSV rows, label then 784 pixels 0..255 (its dataset divides by 255 again)."""
    return np.concatenate([y[:, None].astype(x.dtype), np.round(x * 255)], axis=1)


def train(torch, data, args, rec):
    nn = torch.nn
    variant = args.variant
    if args.lr is None:
        args.lr = 0.001 if variant == "adam" else 0.01        # Adam's default; the book's SGD lr
    if args.bs != 1:
        raise ValueError("the GAN book's classifier trains one digit at a time: --bs must be 1")

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()

            if variant == "leaky_layernorm":
                self.model = nn.Sequential(
                    nn.Linear(784, 200),
                    nn.LeakyReLU(0.02),

                    nn.LayerNorm(200),

                    nn.Linear(200, 10),
                    nn.LeakyReLU(0.02)
                )
            else:
                self.model = nn.Sequential(
                    nn.Linear(784, 200),  # 784개의 노드로부터 200개의 노드까지 완전 연결 매핑
                    nn.Sigmoid(),  # S모양의 로지스틱 활성화 함수로 이전 레이어의 출력에 적용
                    nn.Linear(200, 10),  # 200개의 노드로부터 10개의 노드로 완전 연결 매칭
                    nn.Sigmoid()  # 신경망의 최종 출력
                )

            if variant == "bce":
                self.loss_function = nn.BCELoss()
            else:
                self.loss_function = nn.MSELoss()  # 평균제곱오차법

            if variant == "adam":
                self.optimiser = torch.optim.Adam(self.parameters(), lr=args.lr)
            else:
                self.optimiser = torch.optim.SGD(self.parameters(), lr=args.lr)  # 확률적 경사하강법

            self.counter = 0
            self.progress = []

            pass

        def forward(self, inputs):
            return self.model(inputs)

        def train(self, inputs, targets):
            outputs = self.forward(inputs)

            loss = self.loss_function(outputs, targets)

            # 각 노드마다 오차기울기를 계산하고, 노드에 연결된 가중치 수정
            self.optimiser.zero_grad()  # 기울기 초기화
            loss.backward()  # 역전파 실행
            self.optimiser.step()  # 가중치 갱신
            rec.step(loss, outputs, targets.argmax())

            self.counter += 1
            if (self.counter % 10 == 0):
                self.progress.append(loss.item())
                pass

            if (self.counter % 10000 == 0):
                rec.log("counter = ", self.counter)
                pass

    class MnistDataset(torch.utils.data.Dataset):
        def __init__(self, rows):
            self.data_df = rows     # the book reads a CSV with pandas; these are the same rows as an array
            pass

        def __len__(self):  # 데이터 셋의 길이를 반환
            return len(self.data_df)

        def __getitem__(self, index):  # 데이터셋의 n번째 아이템을 반환
            label = int(self.data_df[index, 0])
            target = torch.zeros((10))
            target[label] = 1.0

            image_values = torch.tensor(self.data_df[index, 1:]) / 255  # 각 픽셀을 255로 나눔 -> 0~1 정규화

            return label, image_values, target

    mnist_dataset = MnistDataset(csv_rows(data.x_train, data.y_train))
    mnist_test_dataset = MnistDataset(csv_rows(data.x_valid, data.y_valid))

    C = Classifier()
    rec.watch(dict(C.named_parameters()))

    epochs = args.epochs

    for i in range(epochs):
        rec.log("training epoch =", i + 1, "of", epochs)
        for label, image_data_tensor, target_tensor in mnist_dataset:
            C.train(image_data_tensor, target_tensor)
            pass
        pass

    score = 0
    items = 0

    for label, image_data_tensor, target_tensor in mnist_test_dataset:
        answer = C.forward(image_data_tensor).detach().numpy()
        if (answer.argmax() == label):
            score += 1
            pass
        items += 1

        pass

    rec.log(score, items, score / items)  # 분류기 성능 출력

    # the whole splits as batches, for the common accuracy measurement (same pixels as the dataset's)
    x_train = torch.tensor(mnist_dataset.data_df[:, 1:]) / 255
    x_valid = torch.tensor(mnist_test_dataset.data_df[:, 1:]) / 255
    return dict(predict=C.forward, x_train=x_train, x_valid=x_valid, params=dict(C.named_parameters()),
                model=C, progress=C.progress, book_score=score / items if items else float("nan"))


def main(argv=None):
    return common.main(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
